package queries

import (
	"regexp"
	"testing"
)

// TestIsDNSLabelIsTheRegexp: isDNSLabel agrees with the regular
// expression it replaced on every string of up to five characters over
// an alphabet of its edge cases.
func TestIsDNSLabelIsTheRegexp(t *testing.T) {
	re := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	alphabet := []string{"a", "z", "0", "9", "-", "A", ".", "_", "é"}
	words := []string{""}
	checked := 0
	for range 5 {
		var next []string
		for _, w := range words {
			for _, c := range alphabet {
				next = append(next, w+c)
			}
		}
		words = next
		for _, w := range words {
			if got, want := isDNSLabel(w), re.MatchString(w); got != want {
				t.Errorf("isDNSLabel(%q) = %v, the regexp says %v", w, got, want)
			}
			checked++
		}
	}
	if isDNSLabel("") {
		t.Error(`isDNSLabel("") = true`)
	}
	t.Logf("%d strings", checked)
}
