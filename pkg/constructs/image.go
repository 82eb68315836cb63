package constructs

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/distribution/reference"
)

// Image names a container image by repository and either a tag or a digest.
//
// A release-pinned image carries a Telepace release tag (v0.13.0,
// v0.11.0-beta.0) or an @sha256 digest. Everything else is accepted only by
// an environment that sets AllowFloatingTags: floating tags (latest, main,
// nightly, 0.13, sha-1a2b3c4, branch names) and versions in another form
// (1.2.3, V1.2.3), which validation names as such.
type Image struct {
	// Repository is the image name without tag or digest, for example
	// "ghcr.io/telepace/voiceflow". Required.
	Repository string
	// Tag is the image tag, for example "v0.13.0". Required unless Digest
	// is set; there is no implicit "latest".
	Tag string
	// Digest pins the image by content, for example "sha256:9f86...". Takes
	// precedence over Tag. Defaults to none.
	Digest string
}

// ImageRef returns an Image for repository pinned at ref, where ref is a tag
// ("v0.13.0") or a digest ("sha256:<64 hex>"). It does not validate; the
// Microservice construct reports malformed references at synth time.
func ImageRef(repository, ref string) Image {
	if strings.HasPrefix(ref, "sha256:") {
		return Image{Repository: repository, Digest: ref}
	}
	return Image{Repository: repository, Tag: ref}
}

// String returns the reference as a container runtime expects it:
// repository:tag, or repository@digest when a digest is set.
func (i Image) String() string {
	if i.Digest != "" {
		return i.Repository + "@" + i.Digest
	}
	if i.Tag == "" {
		return i.Repository
	}
	return i.Repository + ":" + i.Tag
}

// Version returns the short, label-safe version of the image: the tag, or
// "sha256-" and the first 12 hex digits of the digest.
func (i Image) Version() string {
	if i.Digest != "" {
		hex := strings.TrimPrefix(i.Digest, "sha256:")
		if len(hex) > 12 {
			hex = hex[:12]
		}
		return "sha256-" + hex
	}
	return i.Tag
}

// releaseTag is a Telepace release tag: a semantic version with a "v" prefix
// and an optional pre-release suffix.
var releaseTag = regexp.MustCompile(`^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// misformedVersion reports whether tag is a full version in a form other
// than a release tag's: "1.2.3" or "V1.2.3", which name one release (they
// do not float) but not the way Telepace tags releases.
func misformedVersion(tag string) bool {
	bare := strings.TrimPrefix(strings.TrimPrefix(tag, "v"), "V")
	return "v"+bare != tag && releaseTag.MatchString("v"+bare)
}

// IsReleasePinned reports whether the image is pinned to a release tag or a
// digest, and so is acceptable where floating tags are not.
func (i Image) IsReleasePinned() bool {
	return i.Digest != "" || releaseTag.MatchString(i.Tag)
}

// validate returns the problems with the reference itself, and with its tag
// in environment env, which accepts floating tags only when allowFloating.
func (i Image) validate(env string, allowFloating bool) []string {
	var problems []string
	if i.Repository == "" {
		return []string{"image: repository is required"}
	}
	if i.Tag == "" && i.Digest == "" {
		return []string{fmt.Sprintf("image: %s has an empty tag and no digest; set a tag or a digest", i.Repository)}
	}
	ref := i.String()
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return []string{fmt.Sprintf("image: %q is not a valid image reference: %v", ref, err)}
	}
	if named.String() != ref {
		// ParseNormalizedNamed adds docker.io/ and library/; a reference that
		// changes under normalisation is ambiguous in the output.
		return []string{fmt.Sprintf("image: %q is not fully qualified; write %q", ref, named.String())}
	}
	if i.Digest != "" && i.Tag != "" {
		problems = append(problems, fmt.Sprintf("image: set a tag (%q) or a digest (%q), not both", i.Tag, i.Digest))
	}
	if !allowFloating && !i.IsReleasePinned() {
		if misformedVersion(i.Tag) {
			problems = append(problems, fmt.Sprintf("image: tag %q is not a release tag, which is a lower-case v and MAJOR.MINOR.PATCH with an optional -pre-release (v1.2.3, v1.2.3-rc.1); %s needs a release tag or a digest", i.Tag, envLabel(env)))
		} else {
			problems = append(problems, fmt.Sprintf("image: tag %q is floating; %s needs a release tag (vX.Y.Z) or a digest", i.Tag, envLabel(env)))
		}
	}
	return problems
}

func envLabel(env string) string {
	if env == "" {
		return "this environment"
	}
	return env
}

// Check returns the problems with the image in environment env, which
// accepts floating tags only when allowFloating, each as "image: ...", or
// none.
func (i Image) Check(env string, allowFloating bool) []string {
	return i.validate(env, allowFloating)
}
