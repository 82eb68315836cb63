package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/telepace/platform-charts/test/e2e/cluster"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/cli"
	helmregistry "helm.sh/helm/v3/pkg/registry"
)

// TestOCIRoundTrip proves the release path with no network: every
// generated chart is packaged with helm's SDK at a release version,
// pushed to an in-memory OCI registry on loopback
// (go-containerregistry's pkg/registry), pulled back by version with the
// same manifest and chart digests and bytes, and the prod chart is
// installed from its oci:// reference on the local control plane.
func TestOCIRoundTrip(t *testing.T) {
	requireE2E(t)
	requireTools(t)
	c := sharedCluster(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	client, err := helmregistry.NewClient(helmregistry.ClientOptPlainHTTP(), helmregistry.ClientOptWriter(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	const version = "1.2.3"
	repo := host + "/telepace/charts"
	for _, dir := range generatedCharts(t) {
		if _, err := os.Stat(filepath.Join(dir, "Chart.lock")); err == nil || hasDependencies(t, dir) {
			// As the release does after `helm dependency build`.
			dir = copyChart(t, dir)
			if _, err := cluster.VendorDependencies(context.Background(), dir); err != nil {
				t.Fatal(err)
			}
		}
		pkg := action.NewPackage()
		pkg.Destination = t.TempDir()
		pkg.Version = version
		tgz, err := pkg.Run(dir, nil)
		if err != nil {
			t.Fatalf("helm package %s: %v", dir, err)
		}
		data, err := os.ReadFile(tgz)
		if err != nil {
			t.Fatal(err)
		}
		name := "telepace-" + filepath.Base(dir)
		ref := fmt.Sprintf("%s/%s:%s", repo, name, version)
		pushed, err := client.Push(data, ref)
		if err != nil {
			t.Fatalf("push %s: %v", ref, err)
		}
		pulled, err := client.Pull(ref)
		if err != nil {
			t.Fatalf("pull %s: %v", ref, err)
		}
		switch {
		case pulled.Manifest.Digest != pushed.Manifest.Digest:
			t.Errorf("%s: pulled manifest %s, pushed %s", ref, pulled.Manifest.Digest, pushed.Manifest.Digest)
		case pulled.Chart.Digest != pushed.Chart.Digest || !bytes.Equal(pulled.Chart.Data, data):
			t.Errorf("%s: the pulled chart is not the pushed one", ref)
		case pulled.Chart.Meta.Version != version || pulled.Chart.Meta.Name != name:
			t.Errorf("%s: pulled %s %s", ref, pulled.Chart.Meta.Name, pulled.Chart.Meta.Version)
		default:
			t.Logf("%s: pushed and pulled, manifest %s", ref, pushed.Manifest.Digest)
		}
	}

	// Install prod from the registry, as Argo CD or `helm install oci://`
	// would, into prod's namespace: its chart refuses any other.
	ns, release := envNamespaces["prod"], "telepace-prod"
	k := newKube(t, c)
	if err := k.applyNamespace(context.Background(), ns, envNamespaceLabels(t, "prod")); err != nil {
		t.Fatal(err)
	}
	cfg := actionConfig(t, c, ns)
	cfg.RegistryClient = client
	inst := action.NewInstall(cfg)
	inst.SetRegistryClient(client)
	inst.ReleaseName, inst.Namespace, inst.Version = release, ns, version
	inst.Wait, inst.WaitForJobs, inst.Timeout = true, true, helmTimeout
	path, err := inst.LocateChart("oci://"+repo+"/telepace-prod", cli.New())
	if err != nil {
		t.Fatalf("locate oci://%s/telepace-prod: %v", repo, err)
	}
	ch, err := loader.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := inst.RunWithContext(context.Background(), ch, nil)
	if err != nil {
		t.Fatalf("helm install oci://%s/telepace-prod --version %s: %v", repo, version, err)
	}
	t.Cleanup(func() {
		u := action.NewUninstall(cfg)
		u.Wait, u.Timeout = true, helmTimeout
		if _, err := u.Run(release); err != nil {
			t.Logf("cleanup: helm uninstall %s: %v", release, err)
		}
	})
	if rel.Chart.Metadata.Version != version {
		t.Errorf("installed chart version %s, want %s", rel.Chart.Metadata.Version, version)
	}
	t.Logf("installed %s %s from oci://%s: %s", release, rel.Chart.Metadata.Version, repo, rel.Info.Status)
}

// hasDependencies reports whether the chart at dir declares dependencies.
func hasDependencies(t *testing.T, dir string) bool {
	t.Helper()
	ch, err := loader.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(ch.Metadata.Dependencies) > 0
}
