// Command cluster starts the e2e test cluster by hand (etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler, kwok with fake
// nodes over three zones, upstream CRDs), prints the kubeconfig to use, and
// keeps it running until interrupted:
//
//	hack/e2e-tools.sh               # once: build the pinned binaries
//	go run ./test/e2e/cmd/cluster   # from the repository root
//	export KUBECONFIG=/tmp/telepace-e2e-.../admin.kubeconfig   # as printed
//	kubectl get nodes -L topology.kubernetes.io/zone
//
// Ctrl-C (SIGINT) or SIGTERM stops every component and removes the work
// directory (unless -keep).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/telepace/platform-charts/test/e2e/cluster"
)

func main() {
	var (
		nodes      = flag.Int("nodes", 6, "number of fake (kwok) nodes")
		zones      = flag.String("zones", "zone-a,zone-b,zone-c", "comma-separated zones the nodes are spread over")
		skipCRDs   = flag.Bool("skip-crds", false, "do not install the upstream CRDs")
		keep       = flag.Bool("keep", false, "keep the work directory (logs, etcd data) after exit")
		kubeconfig = flag.String("kubeconfig-out", "", "also copy the admin kubeconfig to this path")
		toolsDir   = flag.String("tools-dir", "", "binary cache (default $"+cluster.EnvToolsDir+" or ~/.cache/telepace-platform-charts/tools)")
	)
	flag.Parse()
	log.SetFlags(log.Ltime)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	c, err := cluster.Start(ctx, cluster.Options{
		ToolsDir: *toolsDir,
		Nodes:    *nodes,
		Zones:    strings.Split(*zones, ","),
		SkipCRDs: *skipCRDs,
		KeepDir:  *keep,
		Logf:     log.Printf,
	})
	if err != nil {
		log.Fatal(err)
	}
	path := c.Kubeconfig
	if *kubeconfig != "" {
		if err := copyFile(c.Kubeconfig, *kubeconfig); err != nil {
			log.Print(err)
		} else if abs, err := filepath.Abs(*kubeconfig); err == nil {
			path = abs
		}
	}
	fmt.Printf("\n# Kubernetes %s is up (apiserver %s, logs in %s).\n", c.Version.GitVersion, c.Config.Host, filepath.Join(c.Dir, "logs"))
	fmt.Printf("export KUBECONFIG=%s\n\n# Press Ctrl-C to stop it.\n", path)

	<-ctx.Done()
	log.Print("stopping ...")
	if err := c.Stop(); err != nil {
		log.Fatal(err)
	}
	if *keep {
		log.Printf("kept %s", c.Dir)
	}
	log.Print("stopped")
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
