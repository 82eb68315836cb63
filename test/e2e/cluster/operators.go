package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// Operator is an upstream controller (external-secrets, sealed-secrets,
// prometheus-operator) run as a plain process against the cluster, its
// output in logs/<name>.log of the cluster's directory. Stop it when the
// test that started it ends; Cluster.Stop does not know it.
type Operator struct {
	// Name is the process's name (and its log file's).
	Name string
	proc *process
}

// OperatorOptions says how to run an operator binary.
type OperatorOptions struct {
	// Name names the process and its log. Required.
	Name string
	// Binary is the executable. Required.
	Binary string
	// Args are its arguments.
	Args []string
	// Kubeconfig is the operator's KUBECONFIG. Defaults to the admin
	// kubeconfig; see ServiceAccountKubeconfig.
	Kubeconfig string
	// Env is added to KUBECONFIG and the PATH of the test process (HOME is
	// the cluster's directory). Defaults to none.
	Env []string
	// InCluster, when set, is the service account (token and namespace)
	// that rest.InClusterConfig must find, for a controller that has no
	// other way to reach the apiserver: the operator then runs in a private
	// mount namespace where /var/run/secrets/kubernetes.io/serviceaccount
	// holds them (Linux, util-linux's unshare; when not root, unprivileged
	// user namespaces). Defaults to none.
	InCluster *ServiceAccountFiles
}

// ServiceAccountFiles are what a pod finds in
// /var/run/secrets/kubernetes.io/serviceaccount.
type ServiceAccountFiles struct {
	Token, Namespace string
}

// serviceAccountDir is where rest.InClusterConfig reads the token and CA.
const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// StartOperator starts an operator process with the admin kubeconfig in
// KUBECONFIG. It fails when the process cannot start or exits within its
// first half second (a flag it does not know, a port taken).
func (c *Cluster) StartOperator(opts OperatorOptions) (*Operator, error) {
	if opts.Name == "" || opts.Binary == "" {
		return nil, errors.New("StartOperator: Name and Binary are required")
	}
	if _, err := os.Stat(opts.Binary); err != nil {
		return nil, fmt.Errorf("operator %s: %w (run hack/e2e-tools.sh)", opts.Name, err)
	}
	env := append([]string{
		"KUBECONFIG=" + cmp.Or(opts.Kubeconfig, c.Kubeconfig),
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + c.Dir,
	}, opts.Env...)
	bin, args := opts.Binary, opts.Args
	if opts.InCluster != nil {
		var err error
		bin, args, env, err = c.inClusterCommand(opts.Name, *opts.InCluster, opts.Binary, opts.Args, env)
		if err != nil {
			return nil, err
		}
	}
	p, err := startProcess(opts.Name, bin, args, c.Dir, filepath.Join(c.Dir, "logs"), env)
	if err != nil {
		return nil, err
	}
	o := &Operator{Name: opts.Name, proc: p}
	select {
	case <-p.done:
		return nil, fmt.Errorf("operator %s exited at once: %v; log:\n%s", opts.Name, p.waitErr, p.tail(30))
	case <-time.After(500 * time.Millisecond):
	}
	return o, nil
}

// inClusterCommand returns the command that runs bin with args in a
// private mount namespace where serviceAccountDir holds the token, the
// cluster CA and the namespace, and KUBERNETES_SERVICE_HOST/PORT name the
// loopback apiserver: what rest.InClusterConfig reads in a pod. Nothing
// outside the new namespace changes: a tmpfs is mounted over the
// directory holding /var/run/secrets in it alone. It needs util-linux's
// unshare and, when not root, unprivileged user namespaces.
func (c *Cluster) inClusterCommand(name string, sa ServiceAccountFiles, bin string, args, env []string) (string, []string, []string, error) {
	if runtime.GOOS != "linux" {
		return "", nil, nil, fmt.Errorf("operator %s: the in-cluster service account needs Linux mount namespaces", name)
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return "", nil, nil, fmt.Errorf("operator %s: the in-cluster service account needs unshare (util-linux): %w", name, err)
	}
	dir := filepath.Join(c.Dir, name+"-serviceaccount")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, nil, err
	}
	for f, data := range map[string][]byte{"token": []byte(sa.Token), "namespace": []byte(sa.Namespace), "ca.crt": c.Config.CAData} {
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o600); err != nil {
			return "", nil, nil, err
		}
	}
	// /var/run is usually a symlink to /run: mount over what it resolves to.
	varRun, err := filepath.EvalSymlinks("/var/run")
	if err != nil {
		return "", nil, nil, fmt.Errorf("operator %s: %w", name, err)
	}
	u, err := parseHostPort(c.Config.Host)
	if err != nil {
		return "", nil, nil, err
	}
	script := `set -e; mount -t tmpfs tmpfs "$TELEPACE_RUN"; mkdir -p "$TELEPACE_SA_DIR"; cp "$TELEPACE_SA_SRC"/* "$TELEPACE_SA_DIR"/; exec "$@"`
	// Private propagation (unshare's default, said here): the mount never
	// reaches the host.
	uargs := []string{"--mount", "--propagation", "private"}
	if os.Geteuid() != 0 {
		uargs = append(uargs, "--map-root-user")
	}
	uargs = append(uargs, "sh", "-c", script, name, bin)
	uargs = append(uargs, args...)
	env = append(env,
		"TELEPACE_RUN="+varRun, "TELEPACE_SA_SRC="+dir, "TELEPACE_SA_DIR="+serviceAccountDir,
		"KUBERNETES_SERVICE_HOST="+u.host, "KUBERNETES_SERVICE_PORT="+u.port,
		"POD_NAMESPACE="+sa.Namespace)
	return unshare, uargs, env, nil
}

type hostPort struct{ host, port string }

func parseHostPort(rawURL string) (hostPort, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "https" || u.Port() == "" {
		return hostPort{}, fmt.Errorf("apiserver URL %q: want https://host:port (%v)", rawURL, err)
	}
	return hostPort{u.Hostname(), u.Port()}, nil
}

// ServiceAccountKubeconfig writes a kubeconfig for the loopback apiserver
// that authenticates with token (a service account's, from a
// TokenRequest), so that an operator runs with the RBAC its chart grants.
func (c *Cluster) ServiceAccountKubeconfig(name, token string) (string, error) {
	path := filepath.Join(c.Dir, name+".kubeconfig")
	if err := writeKubeconfig(path, c.Config.Host, c.Config.CAData, name, token); err != nil {
		return "", fmt.Errorf("kubeconfig %s: %w", name, err)
	}
	return path, nil
}

// Exited reports whether the operator has exited, and how.
func (o *Operator) Exited() (bool, error) { return o.proc.exited() }

// Stop stops the operator (SIGTERM, then SIGKILL after a grace period).
func (o *Operator) Stop() error { return o.proc.stop(10 * time.Second) }

// LogPath returns the operator's log file.
func (o *Operator) LogPath() string { return o.proc.logPath }

// Tail returns the last n lines of the operator's log.
func (o *Operator) Tail(n int) string { return o.proc.tail(n) }

// FreePorts returns n distinct free TCP ports on 127.0.0.1.
func FreePorts(n int) ([]int, error) { return freePorts(n) }

// GetHTTP polls url on loopback until it answers 200 or timeout passes,
// failing early when the operator exits, and returns the body.
func (o *Operator) GetHTTP(ctx context.Context, url string, timeout time.Duration) ([]byte, error) {
	var body []byte
	var last error
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if done, err := o.Exited(); done {
			return false, fmt.Errorf("operator %s exited: %v", o.Name, err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			last = err
			return false, nil
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			last = fmt.Errorf("GET %s: %s %v", url, resp.Status, err)
			return false, nil
		}
		body = b
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("operator %s: GET %s: %w (last: %v); log:\n%s", o.Name, url, err, last, o.Tail(20))
	}
	return body, nil
}
