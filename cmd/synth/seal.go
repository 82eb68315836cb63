package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/telepace/platform-charts/pkg/sealing"
)

// stdin is where `synth seal` reads the value; tests replace it.
var stdin io.Reader = os.Stdin

// runSeal implements `synth seal`: it reads a value from stdin and prints
// its ciphertext for a SealedSecret, sealed with the controller's
// certificate for one Secret name and namespace.
func runSeal(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("synth seal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	certFile := fs.String("cert", "", "the Sealed Secrets controller's public certificate (PEM), from `kubeseal --fetch-cert`; required")
	namespace := fs.String("namespace", "", "the namespace the Secret lives in; required unless --scope cluster-wide")
	name := fs.String("name", "", "the Secret's name; required in the strict scope")
	scopeFlag := fs.String("scope", "strict", "strict, namespace-wide or cluster-wide")
	fs.Usage = func() {
		io.WriteString(stderr, `Usage: printf %s "$VALUE" | synth seal --cert FILE --namespace NS --name NAME [--scope strict]

Seal one value from stdin (read exactly, newline included if present) for a
SealedSecret's encryptedData, with the sealed-secrets library. Prints the
base64 ciphertext. The namespace must be a DNS label and the name a DNS
subdomain, as the apiserver requires; the value at most 1 MiB, the most a
Secret holds.

Exit codes: 0 sealed; 1 the certificate, stdin or the value is refused;
2 bad usage (a missing or invalid flag, an empty stdin).

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "synth seal: unexpected arguments: %v\n", fs.Args())
		return exitUsage
	}
	scope, err := sealing.ParseScope(*scopeFlag)
	if err != nil {
		fmt.Fprintf(stderr, "synth seal: %v\n", err)
		return exitUsage
	}
	if err := sealing.CheckBinding(*namespace, *name, scope); err != nil {
		fmt.Fprintf(stderr, "synth seal: %v\n", err)
		return exitUsage
	}
	if *certFile == "" {
		fmt.Fprintln(stderr, "synth seal: --cert is required")
		return exitUsage
	}
	pem, err := os.ReadFile(*certFile)
	if err != nil {
		fmt.Fprintf(stderr, "synth seal: %v\n", err)
		return exitFailed
	}
	pub, err := sealing.ParseCertificate(pem)
	if err != nil {
		fmt.Fprintf(stderr, "synth seal: %s: %v\n", *certFile, err)
		return exitFailed
	}
	// Read one byte more than a Secret holds: enough to refuse a larger
	// value without reading all of it.
	value, err := io.ReadAll(io.LimitReader(stdin, sealing.MaxValueSize+1))
	if err != nil {
		fmt.Fprintf(stderr, "synth seal: reading stdin: %v\n", err)
		return exitFailed
	}
	if len(value) == 0 {
		fmt.Fprintln(stderr, "synth seal: stdin is empty; pipe the value in")
		return exitUsage
	}
	if err := sealing.CheckValue(value); err != nil {
		fmt.Fprintf(stderr, "synth seal: stdin: %v\n", err)
		return exitFailed
	}
	out, err := sealing.Seal(pub, *namespace, *name, scope, value)
	if err != nil {
		fmt.Fprintf(stderr, "synth seal: %v\n", err)
		return exitFailed
	}
	fmt.Fprintln(stdout, out)
	return exitOK
}
