package constructs_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	pc "github.com/telepace/platform-charts/pkg/constructs"
)

func TestImageRef(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		ref           string
		want          pc.Image
		str, version  string
		releasePinned bool
	}{
		{"v0.13.0", pc.Image{Repository: "ghcr.io/telepace/voiceflow", Tag: "v0.13.0"}, "ghcr.io/telepace/voiceflow:v0.13.0", "v0.13.0", true},
		{"v0.11.0-beta.0", pc.Image{Repository: "ghcr.io/telepace/voiceflow", Tag: "v0.11.0-beta.0"}, "ghcr.io/telepace/voiceflow:v0.11.0-beta.0", "v0.11.0-beta.0", true},
		{digest, pc.Image{Repository: "ghcr.io/telepace/voiceflow", Digest: digest}, "ghcr.io/telepace/voiceflow@" + digest, "sha256-abababababab", true},
		{"main", pc.Image{Repository: "ghcr.io/telepace/voiceflow", Tag: "main"}, "ghcr.io/telepace/voiceflow:main", "main", false},
		{"0.13.0", pc.Image{Repository: "ghcr.io/telepace/voiceflow", Tag: "0.13.0"}, "ghcr.io/telepace/voiceflow:0.13.0", "0.13.0", false},
		{"v0.13", pc.Image{Repository: "ghcr.io/telepace/voiceflow", Tag: "v0.13"}, "ghcr.io/telepace/voiceflow:v0.13", "v0.13", false},
		{"sha-1a2b3c4", pc.Image{Repository: "ghcr.io/telepace/voiceflow", Tag: "sha-1a2b3c4"}, "ghcr.io/telepace/voiceflow:sha-1a2b3c4", "sha-1a2b3c4", false},
		{"", pc.Image{Repository: "ghcr.io/telepace/voiceflow"}, "ghcr.io/telepace/voiceflow", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			img := pc.ImageRef("ghcr.io/telepace/voiceflow", tt.ref)
			assert.Equal(t, tt.want, img)
			assert.Equal(t, tt.str, img.String())
			assert.Equal(t, tt.version, img.Version())
			assert.Equal(t, tt.releasePinned, img.IsReleasePinned())
		})
	}
}
