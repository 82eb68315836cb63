package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// realPath returns the absolute path that p names once every symlink in
// it is followed, as the kernel would follow them on a write: relative to
// the working directory, each existing element resolved in turn (so ".."
// after a symlink leaves the symlink's target, not its directory), a
// dangling symlink followed to where it points, and the elements that do
// not exist yet appended as they are.
func realPath(p string) (string, error) {
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		p = wd + string(filepath.Separator) + p
	}
	return resolve(string(filepath.Separator), strings.Split(p, string(filepath.Separator)), 0)
}

// maxLinks is how many symlinks realPath follows before giving up, as
// Linux's ELOOP does.
const maxLinks = 40

// resolve walks the elements rest from cur, a resolved directory.
func resolve(cur string, rest []string, links int) (string, error) {
	for i, elem := range rest {
		switch elem {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, elem)
		info, err := os.Lstat(next)
		if errors.Is(err, fs.ErrNotExist) {
			return filepath.Join(append([]string{next}, rest[i+1:]...)...), nil
		}
		if err != nil {
			return "", err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > maxLinks {
			return "", fmt.Errorf("%s: too many levels of symbolic links", next)
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		from := cur
		if filepath.IsAbs(target) {
			from = string(filepath.Separator)
		}
		if cur, err = resolve(from, strings.Split(target, string(filepath.Separator)), links); err != nil {
			return "", err
		}
	}
	return cur, nil
}

// within reports whether path is dir or lies below it; both are resolved
// with realPath first.
func within(dir, path string) (bool, error) {
	d, err := realPath(dir)
	if err != nil {
		return false, err
	}
	p, err := realPath(path)
	if err != nil {
		return false, err
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)), nil
}

// inGenerated reports whether path, however it is spelt, lies in the
// module's generated charts (root/charts/generated), which only synth's
// own swap writes.
func inGenerated(root, path string) (bool, error) {
	return within(filepath.Join(root, filepath.FromSlash(defaultOut)), path)
}

// refuseInsideGenerated returns an error when out, an --out for synth,
// lies strictly inside the generated charts of the module that holds it:
// charts/generated holds only generated charts, and a directory of
// charts written below it would be one of its own that no synth made.
// charts/generated itself is synth's to write.
func refuseInsideGenerated(out string) error {
	real, err := realPath(out)
	if err != nil {
		return fmt.Errorf("--out: %v", err)
	}
	root, err := moduleRoot(filepath.Dir(real))
	if err != nil {
		return nil // in no checkout of this module
	}
	generated, err := realPath(filepath.Join(root, filepath.FromSlash(defaultOut)))
	if err != nil {
		return fmt.Errorf("--out: %v", err)
	}
	if in, err := within(generated, real); err != nil || !in || real == generated {
		return err
	}
	return fmt.Errorf("--out %q is inside %s, which holds only the generated charts synth writes there; write the charts to %s itself or elsewhere", out, generated, generated)
}
