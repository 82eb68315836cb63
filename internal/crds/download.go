package crds

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/mod/sumdb/dirhash"
)

// Module is a pinned module in the go command's module cache.
type Module struct {
	// Dir is the extracted module; Zip is its module zip.
	Dir, Zip string
}

// Download fetches src's module with the go command (the module proxy,
// through the go command's cache) and returns it once its zip's h1 hash,
// computed here, is the pinned sum. The pin is the integrity check: some
// module paths (github.com/kong/...) are unknown to the checksum database.
// Only the generator and the e2e harness call it; synth reads the
// embedded files.
func Download(ctx context.Context, src Source) (Module, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", src.Module+"@"+src.Version)
	cmd.Dir = os.TempDir() // outside any module: never touches a go.mod
	cmd.Env = append(os.Environ(), "GO111MODULE=on", "GONOSUMDB="+src.Module, "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var res struct{ Dir, Zip, Error string }
	if jerr := json.Unmarshal(out, &res); jerr != nil && err == nil {
		err = jerr
	}
	switch {
	case res.Error != "":
		return Module{}, fmt.Errorf("go mod download %s@%s: %s", src.Module, src.Version, res.Error)
	case errors.Is(err, exec.ErrNotFound):
		return Module{}, fmt.Errorf("go mod download %s@%s: the go command must be on PATH to fetch a pinned module", src.Module, src.Version)
	case err != nil:
		return Module{}, fmt.Errorf("go mod download %s@%s: %v: %s", src.Module, src.Version, err, strings.TrimSpace(stderr.String()))
	}
	sum, err := dirhash.HashZip(res.Zip, dirhash.Hash1)
	if err != nil {
		return Module{}, err
	}
	if sum != src.Sum {
		return Module{}, fmt.Errorf("%s: %s@%s has content hash %s, but %s pins %s", src.Name, src.Module, src.Version, sum, PinFile, src.Sum)
	}
	return Module{Dir: res.Dir, Zip: res.Zip}, nil
}
