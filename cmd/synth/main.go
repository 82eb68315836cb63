// Command synth synthesises the Telepace Helm charts from the typed Go
// environments into charts/generated/<env>/.
//
// Usage:
//
//	synth [--env NAME[,NAME...]] [--out DIR] [--check]
//	synth diff [--base REF] [--env NAME[,NAME...]] [--out FILE] [--fail-on-breaking]
//	synth set-image --env ENV --service NAME (--tag TAG | --digest DIGEST) [--check]
//	synth seal --cert FILE --namespace NS --name NAME
//
// Each subcommand documents its exit codes in its --help.
//
// Exit codes:
//
//	0    success: the charts were written, or --check found them up to date
//	1    failed: validation problems (each with its construct path), a
//	     panic in environments/ or apps/ (with its file and line), a
//	     refused output directory, a missing Node.js, a jsii package
//	     cache others may write, or an I/O error; nothing was written
//	2    bad usage: an unknown flag or environment
//	3    --check found stale charts; it names every stale file
//	4    internal error: synth itself panicked; please report it
//	130  interrupted by SIGINT; 143 by SIGTERM: temporary files removed, node stopped
package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/aws/jsii-runtime-go"
	"golang.org/x/mod/modfile"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/internal/jsiienv"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/synth"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitChanged  = 3
	exitInternal = 4
	// exitSignal plus the signal number is the exit code of an interrupted
	// run, as shells report it: 130 for SIGINT, 143 for SIGTERM.
	exitSignal = 128
)

// modulePath identifies the module root that the default --out resolves
// against.
const modulePath = "github.com/telepace/platform-charts"

// defaultOut is the output directory, relative to the module root.
const defaultOut = "charts/generated"

// nodeMessage is printed when Node.js cannot run the jsii kernel.
const nodeMessage = "Node.js 20 or newer must be on PATH (cdk8s runs its jsii kernel in node)"

// minNodeMajor is the oldest Node.js major version supported.
const minNodeMajor = 20

// synthesize builds the charts: the environments', and with gitops the
// Argo CD chart too. Tests replace it to exercise the internal-error path.
var synthesize = func(envs []environments.Environment, gitops bool) ([]synth.Chart, error) {
	if gitops {
		return synth.SynthesizeWithGitOps(envs, environments.Repository)
	}
	return synth.Synthesize(envs)
}

func main() {
	// synth is a short batch run that allocates its whole output: a
	// fourfold heap target before each collection takes 13 to 22% off a
	// run (bench/README.md), for a peak heap of some tens of MiB. GOGC in
	// the environment still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, interrupted := notifySignals()
	closeKernelEarly = true
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	// Stop the jsii kernel so no node process outlives the command (or
	// wait for closeKernelEarly's stop), then remove what it left in its
	// temporary directory.
	jsii.Close()
	jsiienv.Cleanup()
	// A signal that arrived after the charts were written changes nothing:
	// the run succeeded, and said so.
	if sig := interrupted.Load(); sig != nil && code != exitOK {
		code = exitSignal + int(sig.(syscall.Signal))
	}
	os.Exit(code)
}

// notifySignals returns a context that SIGINT or SIGTERM cancels. On the
// signal it also stops the jsii kernel, which makes a jsii call in progress
// fail at once; run then unwinds, removing its temporary directories.
func notifySignals() (context.Context, *atomic.Value) {
	ctx, cancel := context.WithCancel(context.Background())
	var got atomic.Value
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-ch
		signal.Stop(ch) // a second signal kills at once
		got.Store(sig)
		cancel()
		jsii.Close()
	}()
	return ctx, &got
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			code = reportInternal(stderr, &internalError{value: r, stack: debug.Stack(), user: userFrame()})
		}
	}()
	if len(args) > 0 && args[0] == "set-image" {
		return runSetImage(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "diff" {
		return runDiff(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "seal" {
		return runSeal(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var envList envValues
	fs.Var(&envList, "env", "synthesise only these environments (comma-separated, or --env repeated); default: all")
	out := fs.String("out", "", "directory that holds one generated chart directory per environment; default: "+defaultOut+" under the module root, wherever synth runs from")
	check := fs.Bool("check", false, "write nothing; exit 3 and name every stale file if the charts under --out differ from the code")
	fs.Usage = func() { usage(stderr, fs) }
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "synth: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return exitUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	envs, err := selectEnvs(strings.Join(envList, ","), set["env"])
	if err != nil {
		fmt.Fprintf(stderr, "synth: %v\n", err)
		return exitUsage
	}
	outDir, err := resolveOut(*out, set["out"])
	if err != nil {
		fmt.Fprintf(stderr, "synth: %v\n", err)
		return exitFailed
	}
	if set["out"] {
		if err := refuseInsideGenerated(*out); err != nil {
			fmt.Fprintf(stderr, "synth: %v\n", err)
			return exitFailed
		}
	}
	// Refuse a bad output directory before spending a second on synthesis;
	// Write checks again under its lock. (Check does its own checking: it
	// reports a hand-edited chart as stale instead of refusing it.)
	if !*check {
		if _, err := synth.PrepareOutput(outDir); err != nil {
			fmt.Fprintf(stderr, "synth: %v\n", err)
			return exitFailed
		}
	}
	if err := lookNode(); err != nil {
		fmt.Fprintf(stderr, "synth: %v\n", err)
		return exitFailed
	}

	// A full run also writes the Argo CD chart, which deploys every
	// environment; --env leaves it as it is.
	charts, err := synthesizeSafely(envs, !set["env"])
	if err != nil || ctx.Err() != nil {
		return synthFailed(ctx, stderr, err)
	}

	opts := synth.WriteOptions{Complete: !set["env"]}
	if *check {
		stale, err := synth.Check(outDir, charts, opts)
		if err != nil {
			fmt.Fprintf(stderr, "synth: %v\n", err)
			return exitFailed
		}
		if len(stale) > 0 {
			fmt.Fprintf(stderr, "synth: the charts under %s are stale; run `make synth` and commit the result:\n", outDir)
			for _, s := range stale {
				fmt.Fprintf(stderr, "  %s\n", s)
			}
			return exitChanged
		}
		fmt.Fprintf(stdout, "synth: %s is up to date (%s)\n", outDir, strings.Join(chartEnvs(charts), ", "))
		return exitOK
	}
	res, err := synth.Write(ctx, outDir, charts, opts)
	if err != nil && ctx.Err() != nil {
		fmt.Fprintln(stderr, "synth: interrupted; temporary files removed, nothing written")
		return exitFailed
	}
	if err != nil {
		fmt.Fprintf(stderr, "synth: writing %s: %v\n", outDir, err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "synth: wrote %s (%s)\n", outDir, strings.Join(res.Written, ", "))
	if len(res.Removed) > 0 {
		fmt.Fprintf(stdout, "synth: removed stale charts no environment generates: %s\n", strings.Join(res.Removed, ", "))
	}
	return exitOK
}

// parseFlags parses args into fs. When it returns false the command ends
// with the code: 0 after --help, 2 for a bad flag (the flag package has
// printed why).
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return exitOK, true
	case errors.Is(err, flag.ErrHelp):
		return exitOK, false
	default:
		return exitUsage, false
	}
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, `Usage: synth [--env NAME[,NAME...]] [--out DIR] [--check]
       synth seal --cert FILE --namespace NS --name NAME   (see synth seal --help)
       synth set-image --env ENV --service NAME --tag TAG   (see synth set-image --help)
       synth diff [--base REF] [--env NAME]                 (see synth diff --help)

Synthesise the Telepace Helm charts from environments/*.go with cdk8s into
DIR/<env>/ (Chart.yaml, values.yaml, README.md, .helmignore, templates/).
Writes are all or nothing: a failed run leaves DIR untouched. DIR may hold
only generated charts; synth replaces those and touches nothing else. A full
run (no --env) removes generated charts that no environment produces.

Environments: %s

Flags:
`, strings.Join(envNames(), ", "))
	fs.PrintDefaults()
	fmt.Fprint(w, `
Exit codes:
  0    success (charts written, or --check found them up to date)
  1    failed (validation problems, refused output directory, no Node.js); nothing written
  2    bad usage (unknown flag or environment)
  3    --check found stale charts (every stale file is named)
  4    internal error (synth panicked; please report it)
  130  interrupted by SIGINT (143: SIGTERM); temporary files removed
`)
}

// envValues collects --env; repeating the flag adds to the list, as
// repeating a comma does.
type envValues []string

func (e *envValues) String() string { return strings.Join(*e, ",") }

func (e *envValues) Set(v string) error {
	*e = append(*e, v)
	return nil
}

// internalError is a panic turned into an error, with its stack.
type internalError struct {
	value any
	stack []byte
	// user is where in environments/ or apps/ the panic was raised, as
	// "environments/dev.go:42", when the code that panicked is the user's
	// (such as queries.MustExpr called there with a misspelt name), or "".
	user string
}

// userPackages maps the function-name prefix of the user's packages to
// their directory in the module.
var userPackages = map[string]string{
	modulePath + "/environments.": "environments",
	modulePath + "/apps.":         "apps",
}

// userFrame returns, when called in a deferred function while a panic
// unwinds, the file and line in environments/ or apps/ that raised it: the
// first frame below the panic outside the runtime and package queries
// (whose MustExpr panics on an unknown name). It returns "" when the
// panic came from anywhere else, synth's own code or a construct: a bug.
func userFrame() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	panicking := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			panicking = true
		case !panicking, strings.HasPrefix(f.Function, "runtime."), strings.HasPrefix(f.Function, modulePath+"/pkg/queries."):
		default:
			for prefix, dir := range userPackages {
				if strings.HasPrefix(f.Function, prefix) {
					return fmt.Sprintf("%s/%s:%d", dir, filepath.Base(f.File), f.Line)
				}
			}
			return ""
		}
		if !more {
			return ""
		}
	}
}

func (e *internalError) Error() string { return fmt.Sprintf("panic: %v\n\n%s", e.value, e.stack) }

// asError returns v as an error, or nil.
func asError(v any) error {
	err, _ := v.(error)
	return err
}

func reportInternal(w io.Writer, err *internalError) int {
	if err.user != "" {
		// A panic in the user's own code is a mistake in the input.
		fmt.Fprintf(w, "synth: %s: %v\n", err.user, err.value)
		return exitFailed
	}
	if msg, ok := machineFault(err.value); ok {
		// The jsii kernel refused this machine's set-up, not the input.
		fmt.Fprintf(w, "synth: %s\n", msg)
		return exitFailed
	}
	fmt.Fprintf(w, "synth: internal error (exit %d): a bug in synth or a construct, not in your input; please report it:\n%v\n", exitInternal, err)
	return exitInternal
}

// jsiiMachineFaults are the jsii kernel faults that come from the
// machine's set-up: each is fixed there, as its message says.
var jsiiMachineFaults = []string{
	"Cannot use the jsii package cache", // HOME below a directory others may write
}

// machineFault returns the jsii kernel's message when a panic is one of
// jsiiMachineFaults.
func machineFault(v any) (string, bool) {
	msg := fmt.Sprint(v)
	for _, f := range jsiiMachineFaults {
		if i := strings.Index(msg, f); i >= 0 {
			return msg[i:], true
		}
	}
	return "", false
}

// closeKernelEarly, set by main, has synthesizeSafely stop the jsii
// kernel on another goroutine as soon as the charts are synthesised: the
// command needs it no more, and node's exit (10 to 15 ms) then overlaps
// writing the charts. main's jsii.Close waits for it. Tests, which run
// the command's run several times in one process, leave it unset.
var closeKernelEarly bool

// synthesizeSafely runs synthesize and turns a panic into an
// *internalError. Mistakes in the input never panic; they are validation
// problems.
func synthesizeSafely(envs []environments.Environment, gitops bool) (charts []synth.Chart, err error) {
	defer func() {
		if r := recover(); r != nil {
			charts, err = nil, &internalError{value: r, stack: debug.Stack(), user: userFrame()}
		}
		if closeKernelEarly {
			go jsii.Close()
		}
	}()
	return synthesize(envs, gitops)
}

// resolveOut returns the output directory: the flag as given, relative to
// the working directory and with its symlinks resolved, or by default charts/generated under the module
// root, printed relative to the working directory.
func resolveOut(out string, set bool) (string, error) {
	if set {
		if out == "" {
			return "", errors.New(`--out is empty; name the directory that holds the generated charts (default: ` + defaultOut + ` under the module root)`)
		}
		// filepath.Clean alone is wrong where a symlink precedes "..":
		// "link/.." is the parent of link's target, not the directory link
		// is in. Such a path is written as the real path it names.
		real, err := realPath(out)
		if err != nil {
			return "", err
		}
		lexical, err := realPath(filepath.Clean(out))
		if err == nil && lexical == real {
			return filepath.Clean(out), nil
		}
		return real, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root, err := moduleRoot(wd)
	if err != nil {
		return "", err
	}
	abs := filepath.Join(root, filepath.FromSlash(defaultOut))
	if rel, err := filepath.Rel(wd, abs); err == nil {
		return rel, nil
	}
	return abs, nil
}

// noModuleError is moduleRoot's error: no go.mod of this module in dir or
// above it.
type noModuleError struct{ dir string }

func (e *noModuleError) Error() string {
	return fmt.Sprintf("cannot find the module root (the go.mod of %s) in %s or above it; run synth inside the repository or pass --out", modulePath, e.dir)
}

// moduleRoot walks up from dir to the directory whose go.mod declares this
// module.
func moduleRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if data, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && modfile.ModulePath(data) == modulePath {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", &noModuleError{dir: dir}
		}
	}
}

// lookNode checks that the jsii kernel can find node: JSII_NODE if set,
// otherwise node on PATH. A custom JSII_RUNTIME replaces node entirely.
func lookNode() error {
	node, ok := nodeCommand()
	if !ok {
		return nil
	}
	if _, err := exec.LookPath(node); err != nil {
		return errors.New(nodeMessage)
	}
	return nil
}

// nodeCommand returns the node the jsii kernel runs, as jsii picks it:
// JSII_NODE, or node on PATH, which jsiienv's launcher runs too. It reports
// false when JSII_RUNTIME replaces node with a command of its own.
func nodeCommand() (string, bool) {
	if os.Getenv("JSII_RUNTIME") != "" {
		return "", false
	}
	node := os.Getenv("JSII_NODE")
	if node == jsiienv.Launcher() {
		node = ""
	}
	return cmp.Or(node, "node"), true
}

// checkNodeVersion runs node --version and returns an error when it is
// older than minNodeMajor or cannot run. It is called only after a failure,
// so the common path pays for no extra process.
func checkNodeVersion() error {
	node, ok := nodeCommand()
	if !ok {
		return nil
	}
	cmd := exec.Command(node, "--version")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		// node is there but refuses to start: say what it said, such as
		// an option NODE_OPTIONS may not hold.
		why := strings.TrimSpace(stderr.String())
		return fmt.Errorf("%s does not start (node --version: %v): %s; check NODE_OPTIONS and the node installation", node, err, cmp.Or(why, "no message"))
	}
	if err != nil {
		return fmt.Errorf("%s: node --version: %v", nodeMessage, err)
	}
	v := strings.TrimSpace(string(raw))
	major, _, _ := strings.Cut(strings.TrimPrefix(v, "v"), ".")
	if n, err := strconv.Atoi(major); err != nil || n < minNodeMajor {
		return fmt.Errorf("%s; found %s", nodeMessage, v)
	}
	return nil
}

// selectEnvs returns the environments named in list, or every environment
// when --env was not given.
func selectEnvs(list string, set bool) ([]environments.Environment, error) {
	if !set {
		return environments.All(), nil
	}
	if strings.TrimSpace(list) == "" {
		return nil, fmt.Errorf("--env is empty; name one or more environments: %s", strings.Join(envNames(), ", "))
	}
	var envs []environments.Environment
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, fmt.Errorf("--env %q names an empty environment; separate names with single commas", list)
		}
		env, ok := environments.Lookup(name)
		if !ok {
			return nil, fmt.Errorf("unknown environment %q; known environments: %s", name, strings.Join(envNames(), ", "))
		}
		if slices.ContainsFunc(envs, func(e environments.Environment) bool { return e.Name == name }) {
			continue
		}
		envs = append(envs, env)
	}
	return envs, nil
}

func envNames() []string {
	var names []string
	for _, e := range environments.All() {
		names = append(names, e.Name)
	}
	return names
}

func chartEnvs(charts []synth.Chart) []string {
	var names []string
	for _, c := range charts {
		names = append(names, c.Env)
	}
	return names
}

// synthFailed reports a synthesis that failed with err, or that a signal
// interrupted, and returns the exit code.
func synthFailed(ctx context.Context, stderr io.Writer, err error) int {
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "synth: interrupted; temporary files removed, nothing written")
		return exitFailed // main turns this into 128+signal
	}
	var internal *internalError
	var verr *pc.ValidationError
	switch {
	case errors.As(err, &internal):
		// jsii reports a kernel that cannot start or answer by panicking:
		// that is the machine's Node.js or files, not a bug in synth.
		if nodeErr := checkNodeVersion(); nodeErr != nil {
			fmt.Fprintf(stderr, "synth: %v\n", nodeErr)
			return exitFailed
		}
		if perr := (*os.PathError)(nil); errors.As(asError(internal.value), &perr) {
			fmt.Fprintf(stderr, "synth: the jsii kernel cannot use %s: %v\n", perr.Path, perr.Err)
			return exitFailed
		}
		return reportInternal(stderr, internal)
	case errors.As(err, &verr):
		fmt.Fprintf(stderr, "synth: %v\n", err)
		return exitFailed
	default:
		// jsii failures other than validation are often an unusable node.
		if nodeErr := checkNodeVersion(); nodeErr != nil {
			fmt.Fprintf(stderr, "synth: %v\n", nodeErr)
		}
		fmt.Fprintf(stderr, "synth: %v\n", err)
		return exitFailed
	}
}
