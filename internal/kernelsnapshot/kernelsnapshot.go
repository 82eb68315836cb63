package kernelsnapshot

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	// Its initialiser creates jsii's client, which unpacks jsii's kernel
	// script (see kernelScript); this package's runs after it.
	_ "github.com/aws/constructs-go/constructs/v10"

	"github.com/telepace/platform-charts/internal/jsiienv"
)

// Variable turns the kernel's start-up snapshot off when set to
// "off".
const Variable = "TELEPACE_KERNEL_SNAPSHOT"

// buildVariable tells kernel/shim.js where to build the snapshot.
const buildVariable = "TELEPACE_KERNEL_SNAPSHOT_BUILD"

// Mode is how this process's kernel starts.
type Mode string

const (
	// Used: from its start-up snapshot, or, when node will not start
	// from it, without it (see start).
	Used Mode = "snapshot"
	// Building: without one; it builds one as it exits.
	Building Mode = "building"
	// Off: without one, and builds none: it is turned off, or no
	// launcher runs the kernel, or the snapshot of this key failed less
	// than a day ago, or the cache directory is not this user's alone or
	// cannot be written.
	Off Mode = "off"
)

// choice is how a process's kernel starts.
type choice struct {
	mode Mode
	// dir is the snapshot's directory, when mode is not Off.
	dir string
	// why says why mode is Off.
	why string
	// node is the node on PATH, and program jsii's kernel script as its
	// client unpacked it, when mode is not Off.
	node, program string
}

// chosen is this process's choice.
var chosen choice

func init() {
	chosen = choose()
	if chosen.mode != Off {
		if err := start(chosen); err != nil {
			chosen = choice{mode: Off, why: err.Error()}
		}
	}
	if chosen.mode == Off {
		// A kernel jsiienv started early, from the last run's start, is
		// not this run's.
		jsiienv.ForgetPrestart()
	}
}

// start has jsiienv's launcher start the kernel as c says. A kernel
// that node does not start from the snapshot (a blob damaged, a node
// wrapper that runs another node) starts without it, and the snapshot's
// failure note keeps the next runs of the key from trying it for a day.
// A kernel started from the snapshot rebuilds it as it exits when it
// loaded a package the snapshot does not hold (kernel/snapshot.js).
func start(c choice) error {
	shim := []string{"--require", filepath.Join(jsiienv.KernelScripts(), "shim.js")}
	env := map[string]string{buildVariable: c.dir}
	if c.mode == Used {
		blob := filepath.Join(c.dir, "kernel.blob")
		k := jsiienv.KernelStart{
			Options:      []string{"--snapshot-blob", blob},
			Env:          env,
			Fallback:     shim,
			FallbackNote: c.dir + ".failed",
			Requires:     []string{blob},
			// What chose this start: the variable that turns the
			// snapshot off, and the PATH node was found on.
			Depends: []string{Variable, "PATH"},
		}
		// Started now, the kernel is up sooner: jsii starts it at the
		// program's first call, after every package's initialiser and
		// what the program does before that call; the next run starts
		// it from jsiienv's initialiser, earlier still (see
		// jsiienv.Prestart).
		if jsiienv.Prestart(c.node, k, c.program) == nil {
			return nil
		}
		return jsiienv.SetKernelStart(k)
	}
	return jsiienv.SetKernelStart(jsiienv.KernelStart{Options: shim, Env: env})
}

// Current returns how this process's kernel starts, the snapshot's
// directory (empty when off), and, when off, why.
func Current() (mode Mode, dir, why string) {
	return chosen.mode, chosen.dir, chosen.why
}

// Root returns the directory that holds the kernel's snapshots:
// telepace-platform-charts/kernel-snapshot in the user's cache directory
// (os.UserCacheDir).
func Root() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "telepace-platform-charts", "kernel-snapshot"), nil
}

// retryAfter is how long a failure note keeps the runs of its key from
// building or using a snapshot: long enough that a node that cannot do
// either costs one try a day, short enough that a passing cause (a full
// disk, a snapshot removed mid-run) does not turn it off for good.
const retryAfter = 24 * time.Hour

// off reports whether v, the value of Variable, turns the snapshot off.
func off(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "off", "0", "false", "no":
		return true
	}
	return false
}

// choose decides how the kernel starts.
func choose() choice {
	if v := os.Getenv(Variable); off(v) {
		return choice{mode: Off, why: Variable + "=" + v}
	}
	scripts := jsiienv.KernelScripts()
	if scripts == "" {
		return choice{mode: Off, why: "no launcher runs the kernel"}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return choice{mode: Off, why: fmt.Sprintf("node: %v", err)}
	}
	program, err := kernelScriptPath()
	if err != nil {
		return choice{mode: Off, why: err.Error()}
	}
	key, err := key(scripts, node, program)
	if err != nil {
		return choice{mode: Off, why: err.Error()}
	}
	root, err := Root()
	if err == nil {
		err = os.MkdirAll(root, 0o700)
	}
	if err == nil {
		// Another user who may write there could make this one's kernel
		// run code of theirs.
		err = jsiienv.PrivateDir(root)
	}
	if err != nil {
		return choice{mode: Off, why: fmt.Sprintf("cache directory: %v", err)}
	}
	dir := filepath.Join(root, key)
	if info, err := os.Stat(dir + ".failed"); err == nil {
		if time.Since(info.ModTime()) < retryAfter {
			return choice{mode: Off, why: "it failed; see " + dir + ".failed"}
		}
		_ = os.RemoveAll(dir)
		_ = os.Remove(dir + ".failed")
	}
	if complete(dir) {
		if err := jsiienv.PrivateDir(dir); err != nil {
			return choice{mode: Off, why: fmt.Sprintf("snapshot directory: %v", err)}
		}
		markUsed(dir)
		return choice{mode: Used, dir: dir, node: node, program: program}
	}
	if err := writable(root); err != nil {
		return choice{mode: Off, why: fmt.Sprintf("cache directory: %v", err)}
	}
	return choice{mode: Building, dir: dir, node: node, program: program}
}

// complete reports whether dir holds a whole snapshot: its blob, of the
// size kernel/build.js wrote next to it once node started from it. A
// snapshot cut short would stop node from starting.
func complete(dir string) bool {
	// Not blocking: a FIFO in its place would wait for a writer.
	f, err := os.OpenFile(filepath.Join(dir, "kernel.blob.size"), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return false
	}
	want, err := io.ReadAll(io.LimitReader(f, 64))
	if err != nil {
		return false
	}
	info, err := os.Stat(filepath.Join(dir, "kernel.blob"))
	return err == nil && strings.TrimSpace(string(want)) == strconv.FormatInt(info.Size(), 10)
}

// markUsed sets the modification time of the snapshot's directory to
// now, at most once a day: a build removes the snapshots unused for
// longer than kernel/build.js's keepUnused (a node upgraded, a jsii
// runtime replaced).
func markUsed(dir string) {
	info, err := os.Stat(dir)
	if err == nil && time.Since(info.ModTime()) > 24*time.Hour {
		now := time.Now()
		_ = os.Chtimes(dir, now, now)
	}
}

// key hashes what a snapshot belongs to: node, the node on PATH (its
// resolved path, size and modification time), NODE_OPTIONS, program,
// jsii's kernel script, and this project's scripts, the files of the
// directory scripts.
func key(scripts, node, program string) (string, error) {
	file, err := jsiienv.NodeFile(node)
	if err != nil {
		return "", fmt.Errorf("node: %w", err)
	}
	script, err := fileSHA256(program)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	// jsii sets NODE_OPTIONS for the kernel when it is unset; an empty
	// one is kept, and is other V8 flags.
	options, set := os.LookupEnv("NODE_OPTIONS")
	fmt.Fprintf(h, "kernel snapshot 1\nnode %s\nNODE_OPTIONS %t %q\nkernel script %s\n",
		file, set, options, script)
	entries, err := os.ReadDir(scripts)
	if err != nil {
		return "", err
	}
	for _, e := range entries { // sorted by name
		data, err := os.ReadFile(filepath.Join(scripts, e.Name()))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", e.Name(), len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:24], nil
}

// fileSHA256 returns the SHA-256 of the file at path, in hex.
func fileSHA256(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// kernelScriptPath returns the path of jsii's kernel script, as jsii's
// client unpacked it into jsiienv's temporary directory when the jsii
// packages were initialised, before this package.
func kernelScriptPath() (string, error) {
	found, err := filepath.Glob(filepath.Join(jsiienv.TempDir(), "jsii-runtime.*", "lib", "program.js"))
	if err != nil {
		return "", err
	}
	if len(found) != 1 {
		return "", fmt.Errorf("jsii's kernel script: %d unpacked, want 1", len(found))
	}
	return found[0], nil
}
