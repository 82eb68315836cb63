package synth

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/telepace/platform-charts/environments"
)

// Write replaces the charts' directories under outDir with the given charts,
// all or nothing: it builds the complete new tree in a temporary directory
// beside outDir and swaps it in with renames only when every file is written.
// Directories of environments not in charts are carried over unchanged.
func Write(outDir string, charts []Chart) error {
	outDir = filepath.Clean(outDir)
	parent := filepath.Dir(outDir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	staging, err := os.MkdirTemp(parent, ".synth-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)

	replaced := map[string]bool{}
	for _, c := range charts {
		replaced[c.Env] = true
		for _, p := range c.sortedPaths() {
			dst := filepath.Join(staging, c.Env, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(dst, c.Files[p], 0o644); err != nil {
				return err
			}
		}
	}
	// Carry over, by copy, what this run does not regenerate, so that a
	// failure before the swap leaves outDir exactly as it was.
	entries, err := os.ReadDir(outDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		if replaced[e.Name()] {
			continue
		}
		src, dst := filepath.Join(outDir, e.Name()), filepath.Join(staging, e.Name())
		if e.IsDir() {
			err = os.CopyFS(dst, os.DirFS(src))
		} else {
			err = copyFile(src, dst)
		}
		if err != nil {
			return err
		}
	}
	if err := os.Chmod(staging, 0o755); err != nil {
		return err
	}
	backup := staging + ".old"
	if _, err := os.Stat(outDir); err == nil {
		if err := os.Rename(outDir, backup); err != nil {
			return err
		}
		defer os.RemoveAll(backup)
	}
	if err := os.Rename(staging, outDir); err != nil {
		if restoreErr := os.Rename(backup, outDir); restoreErr != nil {
			return errors.Join(err, restoreErr)
		}
		return err
	}
	return nil
}

// Check compares the charts with what is under outDir and returns the paths,
// relative to outDir, of every file that differs, is missing, or should not
// be there. An empty result means the committed charts are up to date.
func Check(outDir string, charts []Chart) ([]string, error) {
	var stale []string
	for _, c := range charts {
		want := map[string]bool{}
		for _, p := range c.sortedPaths() {
			want[p] = true
			got, err := os.ReadFile(filepath.Join(outDir, c.Env, filepath.FromSlash(p)))
			if errors.Is(err, fs.ErrNotExist) {
				stale = append(stale, c.Env+"/"+p+" (missing)")
				continue
			}
			if err != nil {
				return nil, err
			}
			if !bytes.Equal(got, c.Files[p]) {
				stale = append(stale, c.Env+"/"+p+" (differs)")
			}
		}
		root := filepath.Join(outDir, c.Env)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && path == root {
					return nil
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			if rel = filepath.ToSlash(rel); !want[rel] {
				stale = append(stale, c.Env+"/"+rel+" (not generated)")
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", root, err)
		}
	}
	slices.Sort(stale)
	return stale, nil
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

// Generate synthesises envs and writes their charts under outDir, all or
// nothing: when synthesis fails, outDir is left exactly as it was.
func Generate(envs []environments.Environment, outDir string) error {
	charts, err := Synthesize(envs)
	if err != nil {
		return err
	}
	return Write(outDir, charts)
}
