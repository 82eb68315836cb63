package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/telepace/platform-charts/test/e2e/cluster"
)

// One cluster per `go test` run, shared by every test that needs it. It is
// started by the first such test (so `go test -run TestKubeScore` starts
// none) and stopped by TestMain after all tests ran, or on SIGINT/SIGTERM.
var shared struct {
	once    sync.Once
	mu      sync.Mutex
	cluster *cluster.Cluster
	err     error
}

var repoRoot string

// summary lines (timings) printed by TestMain after the run, so they show
// without -v too.
var (
	summaryMu sync.Mutex
	summary   []string
)

func record(format string, args ...any) {
	summaryMu.Lock()
	defer summaryMu.Unlock()
	summary = append(summary, fmt.Sprintf(format, args...))
}

func TestMain(m *testing.M) {
	flag.Parse()
	root, err := cluster.FindRepoRoot("")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	repoRoot = root

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "e2e: %v: stopping the cluster\n", s)
		stopShared()
		os.Exit(2)
	}()

	code := m.Run()

	shared.mu.Lock()
	c := shared.cluster
	shared.mu.Unlock()
	if c != nil && code != 0 {
		fmt.Fprintln(os.Stderr, "e2e: tests failed; tails of the component logs follow")
		c.DumpLogs(os.Stderr, 30)
	}
	if err := stopShared(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stopping the cluster:", err)
		code = 1
	}
	summaryMu.Lock()
	if len(summary) > 0 {
		sort.Stable(sort.StringSlice(summary))
		fmt.Printf("e2e timings:\n  %s\n", strings.Join(summary, "\n  "))
	}
	summaryMu.Unlock()
	os.Exit(code)
}

func stopShared() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.cluster == nil {
		return nil
	}
	err := shared.cluster.Stop()
	shared.cluster = nil
	return err
}

// requireE2E skips the test in -short mode, and only then.
func requireE2E(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: skipped in -short mode")
	}
}

// requireTools fails (never skips) the test when the pinned binaries are
// missing, telling how to build them.
func requireTools(t *testing.T) *cluster.Tools {
	t.Helper()
	tl, err := cluster.LocateTools(repoRoot, "")
	if err != nil {
		t.Fatalf("e2e: %v", err)
	}
	return tl
}

// sharedCluster returns the run's cluster, starting it on first use. A
// start-up failure fails every test that needs the cluster.
func sharedCluster(t *testing.T) *cluster.Cluster {
	t.Helper()
	requireE2E(t)
	requireTools(t)
	shared.once.Do(func() {
		t.Logf("e2e: starting the shared cluster")
		c, err := cluster.Start(context.Background(), cluster.Options{RepoRoot: repoRoot, Logf: t.Logf})
		shared.mu.Lock()
		shared.cluster, shared.err = c, err
		shared.mu.Unlock()
		if err == nil {
			tm := c.Timings
			record("cluster: etcd %s, kube-apiserver %s, nodes %s, scheduling probe %s, CRDs %s, total %s",
				r10(tm.Etcd), r10(tm.APIServer), r10(tm.Nodes), r10(tm.Scheduling), r10(tm.CRDs), r10(tm.Total))
		}
	})
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.err != nil {
		t.Fatalf("e2e: the shared cluster did not start: %v", shared.err)
	}
	if shared.cluster == nil {
		t.Fatal("e2e: the shared cluster was stopped")
	}
	return shared.cluster
}
