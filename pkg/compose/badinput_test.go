package compose_test

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/telepace/platform-charts/apps"
	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/environments/environmentstest"
	"github.com/telepace/platform-charts/pkg/compose"
)

// badInputs are mistakes in environments/ (or in what an environment
// makes of its apps) that a layer of the composition reports. Each must
// fail with exactly these messages, and every message has the construct
// path cdk8s prefixes it with once Build attaches it. The mistakes the
// constructs report, and those synth reports across environments, are in
// pkg/synth's table.
// badInput is a mistake in environments/ (or in what an environment makes
// of its apps) that a layer of the composition reports. It must fail with
// exactly these messages, each with the construct path cdk8s prefixes it
// with once Build attaches it. The mistakes the constructs report, and
// those synth reports across environments, are in pkg/synth's table.
type badInput struct {
	name string
	envs func() []environments.Environment
	want []string
}

// TestBadInput plans each layer's bad inputs, without jsii or node, and
// compares the problems with the expected ones, both in the order a
// construct tree reports them: by path, and in the order found within a
// path.
func TestBadInput(t *testing.T) {
	for layer, inputs := range map[string][]badInput{
		"services": servicesInputs, "gateway": gatewayInputs, "monitoring": monitoringInputs,
		"secrets": secretsInputs, "umbrella": umbrellaInputs,
	} {
		for _, tt := range inputs {
			t.Run(layer+"/"+tt.name, func(t *testing.T) {
				var got []string
				for _, e := range tt.envs() {
					for _, p := range compose.Compose(e).Problems {
						got = append(got, p.String(e.Name))
					}
				}
				assert.Equal(t, byPath(tt.want), byPath(got))
			})
		}
	}
}

func dev() environments.Environment { return environmentstest.Lookup("dev") }

// noService is a name no service has.
const noService = "no-such-service"

// devIndex returns the index of the service called name in dev's list.
func devIndex(name string) int {
	i := slices.IndexFunc(dev().Services, func(s environments.Service) bool { return cmp.Or(s.Name, s.App) == name })
	if i < 0 {
		panic("dev deploys no service " + name)
	}
	return i
}

// devDeclaredPorts lists the ports of dev's namespace as the egress check
// names them: each service's ports, as its app declares them, and dev's
// backends and trace collector.
func devDeclaredPorts() string {
	e := dev()
	declared := map[int32][]string{}
	for _, s := range e.Services {
		app, ok := apps.Lookup(s.App)
		if !ok {
			panic("no app " + s.App)
		}
		for _, p := range app.Props(e.Context()).Ports {
			declared[p.Port] = append(declared[p.Port], cmp.Or(s.Name, s.App))
		}
	}
	declared[e.Backends.Postgres.Port] = append(declared[e.Backends.Postgres.Port], "postgres")
	declared[e.Backends.Redis.Port] = append(declared[e.Backends.Redis.Port], "redis")
	declared[e.Backends.ObjectStore.Port] = append(declared[e.Backends.ObjectStore.Port], "object store")
	declared[4318] = append(declared[4318], "trace collector") // OTLP over HTTP
	var list []string
	for _, p := range slices.Sorted(maps.Keys(declared)) {
		list = append(list, fmt.Sprintf("%d: %s", p, strings.Join(declared[p], ", ")))
	}
	return strings.Join(list, "; ")
}

// sourceProblem is the message for dev's dependency i pinned without a
// source.
func sourceProblem(i int) string {
	return fmt.Sprintf("[dev] dependencies[%d].source: name the source repository, chart path, tag, and commit (40 hex digits) of version %s; pin only a version whose source you have read", i, environmentstest.Lookup("dev").Dependencies()[i].Version)
}

// one wraps an edit of dev as a single-environment input.
func one(edit func(environments.Environment) environments.Environment) func() []environments.Environment {
	return func() []environments.Environment { return []environments.Environment{edit(dev())} }
}

// recursiveValues is a values type that contains itself.
type recursiveValues struct {
	Children []recursiveValues `json:"children"`
}

// byPath orders problems, each "[path] field: message", by path, keeping
// the order of those at one path: the order cdk8s reports one construct's
// validations in.
func byPath(problems []string) []string {
	out := slices.Clone(problems)
	slices.SortStableFunc(out, func(a, b string) int {
		pa, _, _ := strings.Cut(a, "]")
		pb, _, _ := strings.Cut(b, "]")
		return strings.Compare(pa, pb)
	})
	return out
}

// devServiceNames returns the names of dev's services, sorted.
func devServiceNames() []string {
	var names []string
	for _, s := range dev().Services {
		names = append(names, cmp.Or(s.Name, s.App))
	}
	slices.Sort(names)
	return names
}

// sealedValue has the shape of a sealed value: base64 of more bytes than an
// RSA-OAEP session key.
var sealedValue = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 300))
