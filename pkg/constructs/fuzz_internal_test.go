package constructs

import (
	"slices"
	"testing"

	"github.com/distribution/reference"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// FuzzImagePolicy checks the image reference and tag policy on arbitrary
// repositories, tags and digests: it never panics; what prod accepts is a
// valid, fully qualified reference pinned to a release tag or a digest; and
// prod is at least as strict as dev.
func FuzzImagePolicy(f *testing.F) {
	for _, seed := range [][3]string{
		{"ghcr.io/telepace/voiceflow", "v0.13.0", ""},
		{"ghcr.io/telepace/voiceflow", "v0.11.0-beta.0", ""},
		{"ghcr.io/telepace/voiceflow", "latest", ""},
		{"ghcr.io/telepace/voiceflow", "", ""},
		{"ghcr.io/telepace/voiceflow", "", "sha256:" + "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{"ghcr.io/telepace/voiceflow", "v1.0.0", "sha256:abc"},
		{"voiceflow", "v1.0.0", ""},
		{"ghcr.io/Telepace/x", "v1", ""},
		{"ghcr.io/telepace/x", "v01.0.0", ""},
		{"ghcr.io/telepace/x", "v1.0.0-", ""},
		{"ghcr.io/telepace/x", "v1.0.0\n", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, repository, tag, digest string) {
		img := Image{Repository: repository, Tag: tag, Digest: digest}
		prod, dev := img.validate("prod", false), img.validate("dev", true)
		for _, p := range dev {
			if !slices.Contains(prod, p) {
				t.Fatalf("%+v: dev reports %q, which prod does not", img, p)
			}
		}
		if len(dev) == 0 {
			named, err := reference.ParseNormalizedNamed(img.String())
			if err != nil || named.String() != img.String() {
				t.Fatalf("%+v: dev accepts %q, which is not a fully qualified reference (%v)", img, img.String(), err)
			}
		}
		if len(prod) == 0 {
			if !img.IsReleasePinned() {
				t.Fatalf("%+v: prod accepts a floating image", img)
			}
			if img.Digest == "" && !releaseTag.MatchString(img.Tag) {
				t.Fatalf("%+v: prod accepts tag %q, which is not a release tag", img, img.Tag)
			}
			if img.Version() == "" {
				t.Fatalf("%+v: accepted image has no version", img)
			}
		}
	})
}

// FuzzQuantity checks quantity parsing: it never panics, and what it
// accepts is positive, whole (bytes, or millicores for cpu) and survives a
// round trip through its canonical string.
func FuzzQuantity(f *testing.F) {
	for _, s := range []string{"250m", "2", "512Mi", "1Gi", "12GB", "128m", "0.5m", "-1", "0", "1e3", "1E-3", "0x10", "+1Ki", ".5", "1.5Gi", "9223372036854775807", "1e400"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, cpu bool) {
		name := corev1.ResourceMemory
		if cpu {
			name = corev1.ResourceCPU
		}
		q, msg := ParseQuantity(name, s)
		if msg != "" {
			if !q.IsZero() {
				t.Fatalf("%s %q: rejected (%s) but returned %s", name, s, msg, q.String())
			}
			return
		}
		if q.Sign() <= 0 {
			t.Fatalf("%s %q: accepted a quantity that is not positive: %s", name, s, q.String())
		}
		if cpu {
			if q.Cmp(*resource.NewMilliQuantity(q.MilliValue(), resource.DecimalSI)) != 0 {
				t.Fatalf("cpu %q: accepted a fraction of a millicore", s)
			}
		} else if q.Cmp(*resource.NewQuantity(q.Value(), resource.BinarySI)) != 0 {
			t.Fatalf("memory %q: accepted a fraction of a byte", s)
		}
		again, msg := ParseQuantity(name, q.String())
		if msg != "" || again.Cmp(q) != 0 {
			t.Fatalf("%s %q: canonical form %q does not round-trip (%s)", name, s, q.String(), msg)
		}
	})
}
