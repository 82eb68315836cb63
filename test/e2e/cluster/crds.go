package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/telepace/platform-charts/internal/crds"
)

// downloadModule fetches src's module through the Go module proxy (the go
// command's own cache) and returns its directory after checking its content
// hash against the pinned sum. Only ModuleDir needs it: the CRDs themselves
// are embedded in package crds.
func downloadModule(ctx context.Context, src crds.Source) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", src.Module+"@"+src.Version)
	cmd.Dir = os.TempDir() // outside any module: never touches a go.mod
	// The pinned h1 sum is the integrity check (some module paths, e.g.
	// github.com/kong/..., are unknown to the checksum database).
	cmd.Env = append(os.Environ(), "GO111MODULE=on", "GONOSUMDB="+src.Module, "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var res struct{ Dir, Sum, Error string }
	if jerr := json.Unmarshal(out, &res); jerr != nil && err == nil {
		err = jerr
	}
	if res.Error != "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", src.Module, src.Version, res.Error)
	}
	if errors.Is(err, exec.ErrNotFound) {
		return "", fmt.Errorf("go mod download %s@%s: the go command must be on PATH: the charts inside the pinned modules come from the Go module cache", src.Module, src.Version)
	}
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %v: %s", src.Module, src.Version, err, strings.TrimSpace(stderr.String()))
	}
	if res.Sum != src.Sum {
		return "", fmt.Errorf("%s@%s has content hash %s, %s pins %s", src.Module, src.Version, res.Sum, crds.PinFile, src.Sum)
	}
	return res.Dir, nil
}

// InstallCRDs creates the CRDs (a few at a time) and waits until every one
// is Established.
func InstallCRDs(ctx context.Context, c apiextensionsclient.Interface, crds []*apiextensionsv1.CustomResourceDefinition) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, 4)
	)
	for _, crd := range crds {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := c.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{FieldManager: fieldManager})
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("create CRD %s: %w", crd.Name, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, crd := range crds {
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
			got, err := c.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			for _, cond := range got.Status.Conditions {
				if cond.Type == apiextensionsv1.NamesAccepted && cond.Status == apiextensionsv1.ConditionFalse {
					return false, fmt.Errorf("CRD %s names not accepted: %s", crd.Name, cond.Message)
				}
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("waiting for CRD %s to be Established: %w", crd.Name, err)
		}
	}
	return nil
}
