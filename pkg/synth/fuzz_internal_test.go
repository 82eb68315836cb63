package synth

import (
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/names"
)

// FuzzEnvironmentName checks the name rules on arbitrary names: a name is
// either usable, and then safe as a construct path, a chart directory and a
// release name, or reported exactly once.
func FuzzEnvironmentName(f *testing.F) {
	for _, s := range []string{"dev", "prod", "", ".", "..", "Prod", "dev/prod", ".synth-x", "a-", strings.Repeat("a", 44), strings.Repeat("a", 45), "telepace", "1dev", "dev\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		usable, problems := environmentNameProblems([]environments.Environment{{Name: name}})
		if len(usable)+len(problems) != 1 {
			t.Fatalf("%q: %d usable and %d problems; want exactly one of them", name, len(usable), len(problems))
		}
		if len(usable) == 0 {
			if !strings.HasPrefix(problems[0], "[environments[0]] name: ") {
				t.Fatalf("%q: problem %q does not name the field", name, problems[0])
			}
			return
		}
		if len(validation.IsDNS1123Label(name)) > 0 || filepath.Base(name) != name || strings.HasPrefix(name, ".") || strings.HasPrefix(name, tempPrefix) {
			t.Fatalf("%q: accepted a name that is not a safe directory and DNS label", name)
		}
		if len(names.Release(name)) > 53 {
			t.Fatalf("%q: accepted a name whose release name exceeds 53 characters", name)
		}
	})
}
