//go:build unix

package jsiienv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// startRecord is Prestart's record of the kernel it started, for the
// next process to start early (startEarly): the node, and the
// KernelStart's options, variables (but the process's own
// scriptsVariable) and required files; and what else decides whether
// node starts at all from those options: the node file itself, and the
// node options of its command line and NODE_OPTIONS. A snapshot that
// node did not build, or built under other V8 flags, makes it fail, and
// say so.
type startRecord struct {
	Node     string            `json:"node"`
	Options  []string          `json:"options"`
	Env      map[string]string `json:"env"`
	Requires []string          `json:"requires"`
	// Depends holds the value of each variable of KernelStart.Depends,
	// by name; nil when it was unset.
	Depends map[string]*string `json:"depends"`
	// NodeFile is NodeFile(Node); Argv and NodeOptions are the kernel's
	// arguments and NODE_OPTIONS (kernelProcess).
	NodeFile    string   `json:"nodeFile"`
	Argv        []string `json:"argv"`
	NodeOptions string   `json:"nodeOptions"`
}

// nodeOptions returns NODE_OPTIONS of env, a kernelProcess environment.
func nodeOptions(env []string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "NODE_OPTIONS="); ok {
			return v
		}
	}
	return ""
}

// startRecordPath returns where Prestart records its start:
// telepace-platform-charts/kernel-start.json in the user's cache
// directory (os.UserCacheDir).
func startRecordPath() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "telepace-platform-charts", "kernel-start.json"), nil
}

// newStartRecord returns the record of a kernel started ahead with node
// for k (withScripts), with argv and env (kernelProcess).
func newStartRecord(node string, k KernelStart, argv, env []string) (startRecord, error) {
	file, err := NodeFile(node)
	if err != nil {
		return startRecord{}, err
	}
	vars := maps.Clone(k.Env)
	delete(vars, scriptsVariable)
	return startRecord{
		Node: node, Options: k.Options, Env: vars, Requires: k.Requires, Depends: values(k.Depends),
		NodeFile: file, Argv: argv, NodeOptions: nodeOptions(env),
	}, nil
}

// values returns the value of each of the variables names, by name
// (lookupValue).
func values(names []string) map[string]*string {
	m := map[string]*string{}
	for _, name := range names {
		m[name] = lookupValue(name)
	}
	return m
}

// lookupValue returns the value of the variable name, or nil when it is
// unset.
func lookupValue(name string) *string {
	if v, ok := os.LookupEnv(name); ok {
		return &v
	}
	return nil
}

// equalValue reports whether two variables' values (nil: unset) are
// the same.
func equalValue(a, b *string) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// showValue quotes a variable's value, or says it is unset.
func showValue(v *string) string {
	if v == nil {
		return "unset"
	}
	return fmt.Sprintf("%q", *v)
}

// rememberStart records node and k, started with argv and env, for the
// next process (startRecord), unless the record already holds them. It
// is best effort: a process that cannot read the record starts its
// kernel as without it.
func rememberStart(node string, k KernelStart, argv, env []string) {
	r, err := newStartRecord(node, k, argv, env)
	if err != nil {
		return
	}
	data, err := json.Marshal(r)
	if err != nil {
		return
	}
	path, err := startRecordPath()
	if err != nil {
		return
	}
	if old, err := readStartRecordData(); err == nil && bytes.Equal(old, data) {
		return
	}
	dir := filepath.Dir(path)
	if os.MkdirAll(dir, 0o700) != nil || PrivateDir(dir) != nil {
		return
	}
	f, err := os.CreateTemp(dir, "kernel-start-*.json") // mode 0600
	if err != nil {
		return
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
}

// readStartRecord reads Prestart's record. It must be a regular file of
// this user's that no one else may write, in a directory no one else may
// write either: the record says which program runs, with which options.
func readStartRecord() (startRecord, error) {
	var r startRecord
	data, err := readStartRecordData()
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, err
	}
	if !filepath.IsAbs(r.Node) || len(r.Options) == 0 {
		return r, errors.New("kernel-start.json: not a record")
	}
	return r, nil
}

// readStartRecordData returns the record's bytes, when it is a regular
// file of this user's that no one else may write, in a private
// directory.
func readStartRecordData() ([]byte, error) {
	path, err := startRecordPath()
	if err != nil {
		return nil, err
	}
	if err := PrivateDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	// Not blocking: a FIFO in its place would wait for a writer.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := ownedAlone(path, info); err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() || info.Size() > 1<<20 {
		return nil, fmt.Errorf("%s: not a record", path)
	}
	data := make([]byte, info.Size())
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil, err
	}
	return data, nil
}

// startEarly starts a kernel ahead from Prestart's record, when there is
// one it may start (earlyKernel). Prestart, called later by this
// process, keeps it if it is the kernel asked for, or stops it.
func startEarly() {
	r, err := readStartRecord()
	if err != nil {
		return
	}
	if argv, env, err := earlyKernel(r); err == nil {
		_ = startKernel(r.Node, argv, env)
	}
}

// earlyKernel returns the arguments and environment of the kernel to
// start early from r, or why none: where node would fail, and say so.
func earlyKernel(r startRecord) (argv, env []string, err error) {
	for _, name := range slices.Sorted(maps.Keys(r.Depends)) {
		if now := lookupValue(name); !equalValue(now, r.Depends[name]) {
			return nil, nil, fmt.Errorf("%s is %s, not %s", name, showValue(now), showValue(r.Depends[name]))
		}
	}
	for _, f := range r.Requires {
		if info, err := os.Stat(f); err != nil || !info.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("%s is not a file", f)
		}
		// Another user who may write there could make node run code of
		// theirs (the process that recorded it checked as much).
		if err := PrivateDir(filepath.Dir(f)); err != nil {
			return nil, nil, err
		}
	}
	if file, err := NodeFile(r.Node); err != nil {
		return nil, nil, err
	} else if file != r.NodeFile {
		return nil, nil, fmt.Errorf("node is %s, not %s", file, r.NodeFile)
	}
	argv, env = kernelProcess(withScripts(KernelStart{Options: r.Options, Env: r.Env}))
	if !slices.Equal(argv, r.Argv) {
		return nil, nil, fmt.Errorf("node's arguments are %q, not %q", argv, r.Argv)
	}
	if o := nodeOptions(env); o != r.NodeOptions {
		return nil, nil, fmt.Errorf("NODE_OPTIONS is %q, not %q", o, r.NodeOptions)
	}
	return argv, env, nil
}

// PrivateDir returns an error unless dir is this user's and no one else
// may write to it, nor to the directory it is in.
func PrivateDir(dir string) error {
	for _, d := range []string{dir, filepath.Dir(dir)} {
		info, err := os.Stat(d)
		if err != nil {
			return err
		}
		if err := ownedAlone(d, info); err != nil {
			return err
		}
	}
	return nil
}

// ownedAlone returns an error unless info, of path, is this user's and
// no one else may write to it.
func ownedAlone(path string, info os.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return errors.New(path + ": no owner")
	}
	if int(st.Uid) != os.Getuid() {
		return fmt.Errorf("%s belongs to user %d, not to this one", path, st.Uid)
	}
	if info.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s may be written by others (%v)", path, info.Mode().Perm())
	}
	return nil
}
