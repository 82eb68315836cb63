package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/telepace/platform-charts/internal/crds"
)

const (
	dirPrefix        = "telepace-e2e-"
	fieldManager     = "telepace-e2e"
	serviceCIDR      = "10.96.0.0/16"
	serviceClusterIP = "10.96.0.1"

	// KwokNodeAnnotation marks the nodes kwok manages.
	KwokNodeAnnotation = "kwok.x-k8s.io/node"
	// ZoneLabel is the well-known topology label set on every fake node.
	ZoneLabel = "topology.kubernetes.io/zone"
	// HostnameLabel is the well-known hostname label set on every fake node.
	HostnameLabel = "kubernetes.io/hostname"
)

// Options configure Start. The zero value is usable.
type Options struct {
	// RepoRoot is the repository root (holding tools/go.mod); found by
	// walking up from the working directory when empty.
	RepoRoot string
	// ToolsDir is where hack/e2e-tools.sh cached the binaries;
	// DefaultToolsDir() when empty.
	ToolsDir string
	// Nodes is the number of fake (kwok) nodes; 6 when zero.
	Nodes int
	// Zones the nodes are spread over round-robin, via the
	// topology.kubernetes.io/zone label; zone-a, zone-b, zone-c when empty.
	Zones []string
	// SkipCRDs skips installing the upstream CRDs of internal/crds.
	SkipCRDs bool
	// KeepDir keeps the work directory (logs, etcd data, kubeconfig) on Stop.
	KeepDir bool
	// Logf receives progress messages; discarded when nil.
	Logf func(format string, args ...any)
}

// Timings records how long each start-up phase took.
type Timings struct {
	Etcd       time.Duration // etcd process start to /health OK
	APIServer  time.Duration // kube-apiserver process start to /readyz OK
	Nodes      time.Duration // controllers, scheduler, kwok started to all nodes Ready and untainted
	Scheduling time.Duration // probe pod created to Running+Ready and deleted again
	CRDs       time.Duration // embedded CRDs created and Established
	Total      time.Duration
}

// Cluster is a running control plane: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok, all on loopback ports,
// with fake nodes spread over zones, the upstream CRDs installed, and a
// default StorageClass whose claims a stand-in provisioner binds
// (storage.go).
type Cluster struct {
	// Dir is the work directory: logs/, pki/, etcd data, kubeconfigs.
	Dir string
	// Kubeconfig is an admin (system:masters) kubeconfig file.
	Kubeconfig string
	// Config is the admin *rest.Config.
	Config *rest.Config
	// Client is an admin clientset.
	Client kubernetes.Interface
	// Version is the apiserver's /version.
	Version *version.Info
	// Tools are the binaries in use.
	Tools *Tools
	// Nodes are the fake node names; NodeZones maps them to their zone.
	Nodes     []string
	NodeZones map[string]string
	// Timings of the start-up phases.
	Timings Timings

	opts  Options
	procs []*process // start order
	// stopProvisioner ends the stand-in provisioner (storage.go) and
	// waits for it; nil until it runs.
	stopProvisioner func()
	stopOnce        sync.Once
	stopErr         error
}

// Start starts a cluster. On error everything it started is stopped again
// and its directory removed; the error carries the tail of the failing
// component's log. Call Stop when done.
func Start(ctx context.Context, opts Options) (_ *Cluster, retErr error) {
	t0 := time.Now()
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.Nodes == 0 {
		opts.Nodes = 6
	}
	if len(opts.Zones) == 0 {
		opts.Zones = []string{"zone-a", "zone-b", "zone-c"}
	}
	if opts.RepoRoot == "" {
		root, err := FindRepoRoot("")
		if err != nil {
			return nil, err
		}
		opts.RepoRoot = root
	}
	tl, err := LocateTools(opts.RepoRoot, opts.ToolsDir)
	if err != nil {
		return nil, err
	}

	removeStaleDirs(os.TempDir())
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, Tools: tl, opts: opts, NodeZones: map[string]string{}}
	defer func() {
		if retErr != nil {
			var b strings.Builder
			c.DumpLogs(&b, 25)
			retErr = fmt.Errorf("%w\n--- component logs (%s) ---\n%s", retErr, dir, b.String())
			if err := c.Stop(); err != nil {
				retErr = errors.Join(retErr, err)
			}
		}
	}()
	if err := writeOwner(dir); err != nil {
		return nil, err
	}
	for _, d := range []string{"logs", "home", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(dir, "home"),
		"TMPDIR=" + filepath.Join(dir, "tmp"),
	}

	p, err := writePKI(filepath.Join(dir, "pki"))
	if err != nil {
		return nil, fmt.Errorf("generating certificates: %w", err)
	}
	tokens, err := writeTokens(filepath.Join(dir, "pki", "tokens.csv"))
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdClient, etcdPeer, apiPort := ports[0], ports[1], ports[2]
	server := "https://127.0.0.1:" + strconv.Itoa(apiPort)

	// etcd
	start := time.Now()
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdClient)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(etcdPeer)
	if err := c.start("etcd", env,
		"--name=e2e",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=e2e="+peerURL,
		"--unsafe-no-fsync=true",
		"--log-level=warn",
	); err != nil {
		return nil, err
	}
	if err := c.waitHTTP(ctx, "etcd", etcdURL+"/health", nil, "", 30*time.Second, func(b []byte) bool {
		var h struct{ Health string }
		return json.Unmarshal(b, &h) == nil && h.Health == "true"
	}); err != nil {
		return nil, err
	}
	c.Timings.Etcd = time.Since(start)

	// kube-apiserver
	start = time.Now()
	if err := c.start("kube-apiserver", env,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		// The default endpoint reconciler refuses a loopback address; no
		// pod needs to reach the apiserver through the kubernetes Service.
		"--endpoint-reconciler-type=none",
		"--secure-port="+strconv.Itoa(apiPort),
		"--cert-dir="+filepath.Join(dir, "pki"),
		"--tls-cert-file="+p.ServerCert,
		"--tls-private-key-file="+p.ServerKey,
		"--client-ca-file="+p.CACert,
		"--token-auth-file="+filepath.Join(dir, "pki", "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+p.SAPub,
		"--service-account-signing-key-file="+p.SAKey,
		"--service-cluster-ip-range="+serviceCIDR,
		"--allow-privileged=true",
		"--profiling=false",
		"--v=1",
	); err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.CAData)
	if err := c.waitHTTP(ctx, "kube-apiserver", server+"/readyz", pool, tokens["admin"], 90*time.Second, func(b []byte) bool {
		return strings.TrimSpace(string(b)) == "ok"
	}); err != nil {
		return nil, err
	}
	c.Timings.APIServer = time.Since(start)
	opts.Logf("e2e cluster: kube-apiserver %s ready in %s (etcd %s)", tl.Versions["kube-apiserver"],
		c.Timings.APIServer.Round(time.Millisecond), c.Timings.Etcd.Round(time.Millisecond))

	// kubeconfigs and clients
	kc := func(name, user string) (string, error) {
		path := filepath.Join(dir, name+".kubeconfig")
		return path, writeKubeconfig(path, server, p.CAData, user, tokens[user])
	}
	if c.Kubeconfig, err = kc("admin", "admin"); err != nil {
		return nil, err
	}
	c.Config = &rest.Config{
		Host:            server,
		BearerToken:     tokens["admin"],
		TLSClientConfig: rest.TLSClientConfig{CAData: p.CAData},
		QPS:             100,
		Burst:           200,
	}
	if c.Client, err = kubernetes.NewForConfig(c.Config); err != nil {
		return nil, err
	}
	if c.Version, err = c.Client.Discovery().ServerVersion(); err != nil {
		return nil, err
	}
	kcmKC, err := kc("kube-controller-manager", "kube-controller-manager")
	if err != nil {
		return nil, err
	}
	schedKC, err := kc("kube-scheduler", "kube-scheduler")
	if err != nil {
		return nil, err
	}
	kwokKC, err := kc("kwok", "kwok")
	if err != nil {
		return nil, err
	}

	// controllers, scheduler, kwok
	start = time.Now()
	if err := c.start("kube-controller-manager", env,
		"--kubeconfig="+kcmKC,
		// nodeipam needs a cluster CIDR and is not needed: kwok assigns pod
		// IPs. Node lifecycle (on) clears kwok nodes' not-ready taint.
		"--controllers=*,-nodeipam",
		"--leader-elect=false",
		"--secure-port=0",
		"--service-account-private-key-file="+p.SAKey,
		"--root-ca-file="+p.CACert,
		"--cluster-name=telepace-e2e",
		"--v=1",
	); err != nil {
		return nil, err
	}
	if err := c.start("kube-scheduler", env,
		"--kubeconfig="+schedKC,
		"--leader-elect=false",
		"--secure-port=0",
		"--v=1",
	); err != nil {
		return nil, err
	}
	if err := c.start("kwok", env,
		"--kubeconfig="+kwokKC,
		"--config="+tl.KwokStages,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector="+KwokNodeAnnotation+"=fake",
		"--cidr=10.244.0.0/16",
		"--node-ip=10.0.0.1",
		"--node-lease-duration-seconds=40",
	); err != nil {
		return nil, err
	}
	if err := c.createNodes(ctx); err != nil {
		return nil, err
	}
	if err := c.waitNodesReady(ctx, 2*time.Minute); err != nil {
		return nil, err
	}
	c.Timings.Nodes = time.Since(start)
	opts.Logf("e2e cluster: %d kwok nodes over zones %v ready in %s", len(c.Nodes), opts.Zones,
		c.Timings.Nodes.Round(time.Millisecond))

	start = time.Now()
	if err := c.verifyScheduling(ctx, 2*time.Minute); err != nil {
		return nil, err
	}
	c.Timings.Scheduling = time.Since(start)

	if err := c.startProvisioner(ctx); err != nil {
		return nil, err
	}
	opts.Logf("e2e cluster: default StorageClass %s, its stand-in provisioner %s running (kwok mounts no volume)", StorageClassName, Provisioner)

	if !opts.SkipCRDs {
		start = time.Now()
		defs, err := crds.Load()
		if err != nil {
			return nil, err
		}
		ext, err := apiextensionsclient.NewForConfig(c.Config)
		if err != nil {
			return nil, err
		}
		if err := InstallCRDs(ctx, ext, defs); err != nil {
			return nil, err
		}
		c.Timings.CRDs = time.Since(start)
		opts.Logf("e2e cluster: %d upstream CRDs Established in %s", len(defs), c.Timings.CRDs.Round(time.Millisecond))
	}
	c.Timings.Total = time.Since(t0)
	opts.Logf("e2e cluster: ready in %s; export KUBECONFIG=%s", c.Timings.Total.Round(time.Millisecond), c.Kubeconfig)
	return c, nil
}

func (c *Cluster) start(name string, env []string, args ...string) error {
	p, err := startProcess(name, c.Tools.Path(name), args, c.Dir, filepath.Join(c.Dir, "logs"), env)
	if err != nil {
		return err
	}
	c.procs = append(c.procs, p)
	return nil
}

// anyExited returns an error if a component has died.
func (c *Cluster) anyExited() error {
	for _, p := range c.procs {
		if done, err := p.exited(); done {
			return err
		}
	}
	return nil
}

func (c *Cluster) waitHTTP(ctx context.Context, name, url string, pool *x509.CertPool, token string,
	timeout time.Duration, ok func([]byte) bool) error {
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}
	defer hc.CloseIdleConnections()
	var last string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if err := c.anyExited(); err != nil {
			return false, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		last = fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(b)))
		return resp.StatusCode == http.StatusOK && ok(b), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %s (%s): %w; last response: %s", name, url, err, last)
	}
	return nil
}

func (c *Cluster) createNodes(ctx context.Context) error {
	res := corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("32"),
		corev1.ResourceMemory:           resource.MustParse("128Gi"),
		corev1.ResourcePods:             resource.MustParse("110"),
		corev1.ResourceEphemeralStorage: resource.MustParse("200Gi"),
	}
	for i := range c.opts.Nodes {
		zone := c.opts.Zones[i%len(c.opts.Zones)]
		name := fmt.Sprintf("kwok-%s-%d", zone, i/len(c.opts.Zones))
		n := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name: name,
				Labels: map[string]string{
					HostnameLabel:                      name,
					ZoneLabel:                          zone,
					"topology.kubernetes.io/region":    "kwok",
					"kubernetes.io/os":                 "linux",
					"kubernetes.io/arch":               "amd64",
					"node.kubernetes.io/instance-type": "kwok",
					"type":                             "kwok",
				},
				Annotations: map[string]string{
					KwokNodeAnnotation:             "fake",
					"node.alpha.kubernetes.io/ttl": "0",
				},
			},
			// Nodes accept status on create; kwok keeps these values.
			Status: corev1.NodeStatus{Capacity: res, Allocatable: res},
		}
		if _, err := c.Client.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{FieldManager: fieldManager}); err != nil {
			return fmt.Errorf("create node %s: %w", name, err)
		}
		c.Nodes = append(c.Nodes, name)
		c.NodeZones[name] = zone
	}
	return nil
}

// waitNodesReady waits until every fake node is Ready and carries no
// taint (the not-ready taint is removed by the node lifecycle controller).
func (c *Cluster) waitNodesReady(ctx context.Context, timeout time.Duration) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if err := c.anyExited(); err != nil {
			return false, err
		}
		for _, name := range c.Nodes {
			n, err := c.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				last = err.Error()
				return false, nil
			}
			ready := false
			for _, cond := range n.Status.Conditions {
				if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
					ready = true
				}
			}
			if !ready || len(n.Spec.Taints) > 0 {
				last = fmt.Sprintf("node %s: ready=%v taints=%v", name, ready, n.Spec.Taints)
				return false, nil
			}
		}
		// kube-controller-manager's service account controller is up.
		if _, err := c.Client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{}); err != nil {
			last = "serviceaccount default/default: " + err.Error()
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for nodes: %w; last: %s", err, last)
	}
	return nil
}

// verifyScheduling creates a pod and waits for the scheduler to bind it and
// kwok to make it Ready, then deletes it and waits for kwok to remove it.
func (c *Cluster) verifyScheduling(ctx context.Context, timeout time.Duration) error {
	pods := c.Client.CoreV1().Pods("default")
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-scheduling-probe"},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "probe", Image: "registry.k8s.io/pause:3.10"}},
		},
	}
	if _, err := pods.Create(ctx, pod, metav1.CreateOptions{FieldManager: fieldManager}); err != nil {
		return fmt.Errorf("create probe pod: %w", err)
	}
	var last string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if err := c.anyExited(); err != nil {
			return false, err
		}
		p, err := pods.Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = fmt.Sprintf("node=%q phase=%s", p.Spec.NodeName, p.Status.Phase)
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
				return p.Spec.NodeName != "", nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("probe pod never became Ready (scheduler or kwok not working): %w; last: %s", err, last)
	}
	if err := pods.Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil {
		return err
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		_, err := pods.Get(ctx, pod.Name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		return fmt.Errorf("probe pod was not removed after delete (kwok pod-delete stage): %w", err)
	}
	return nil
}

// DumpLogs writes the last n lines of each component's log to w.
func (c *Cluster) DumpLogs(w io.Writer, n int) {
	for _, p := range c.procs {
		fmt.Fprintf(w, "===== %s (%s), last %d lines =====\n%s", p.name, p.logPath, n, p.tail(n))
	}
}

// Stop stops the stand-in provisioner, then every component (kwok,
// scheduler and controller manager, then the apiserver, then etcd: the
// apiserver must go before its storage), waits until no process of theirs is left, and removes the
// work directory (unless Options.KeepDir). It is safe to call more than
// once.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		if c.stopProvisioner != nil {
			c.stopProvisioner() // before the apiserver goes
		}
		var errs []error
		for i := len(c.procs) - 1; i >= 0; i-- {
			p := c.procs[i]
			grace := 5 * time.Second
			if p.name == "kube-apiserver" {
				grace = 10 * time.Second
			}
			if err := p.stop(grace); err != nil {
				errs = append(errs, err)
			}
		}
		switch {
		case c.Dir == "":
		case c.opts.KeepDir:
			// Unowned: a later run's stale-directory sweep leaves it alone.
			_ = os.Remove(filepath.Join(c.Dir, ownerFile))
		default:
			if err := os.RemoveAll(c.Dir); err != nil {
				errs = append(errs, err)
			}
		}
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}

func writeTokens(path string) (map[string]string, error) {
	users := []struct{ name, user, groups string }{
		{"admin", "telepace-e2e-admin", "system:masters"},
		{"kube-controller-manager", "system:kube-controller-manager", "system:masters"},
		{"kube-scheduler", "system:kube-scheduler", ""},
		{"kwok", "kwok-controller", "system:masters"},
	}
	tokens := map[string]string{}
	var b strings.Builder
	for i, u := range users {
		tok, err := randomToken()
		if err != nil {
			return nil, err
		}
		tokens[u.name] = tok
		if u.groups == "" {
			fmt.Fprintf(&b, "%s,%s,uid-%d\n", tok, u.user, i)
		} else {
			fmt.Fprintf(&b, "%s,%s,uid-%d,%q\n", tok, u.user, i, u.groups)
		}
	}
	return tokens, os.WriteFile(path, []byte(b.String()), 0o600)
}

func writeKubeconfig(path, server string, caData []byte, user, token string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["telepace-e2e"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caData}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["telepace-e2e"] = &clientcmdapi.Context{Cluster: "telepace-e2e", AuthInfo: user}
	cfg.CurrentContext = "telepace-e2e"
	return clientcmd.WriteToFile(*cfg, path)
}
