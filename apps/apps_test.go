package apps_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/apps"
	"github.com/telepace/platform-charts/pkg/names"
)

var ctx = apps.Context{
	Environment:         "prod",
	TelepaceEnvironment: "production",
	Domains:             apps.Domains{API: "api.telepace.cc", Web: "telepace.cc"},
	Backends: apps.Backends{
		Postgres:    apps.Endpoint{Host: "pg", Port: 5432},
		Redis:       apps.Endpoint{Host: "redis", Port: 6379},
		ObjectStore: apps.Endpoint{Host: "objects", Port: 9000},
	},
}

// TestCatalog: Names lists each service once, sorted, and Lookup finds
// each of them and nothing else.
func TestCatalog(t *testing.T) {
	names := apps.Names()
	require.NotEmpty(t, names)
	assert.True(t, slices.IsSorted(names), "sorted: %v", names)
	assert.Equal(t, strings.Join(names, ", "), apps.KnownNames())
	for i, name := range names {
		if i > 0 {
			assert.NotEqual(t, names[i-1], name, "two services called %s", name)
		}
		a, ok := apps.Lookup(name)
		require.True(t, ok, name)
		assert.Equal(t, name, a.Name)
		assert.NotNil(t, a.Props, name)
	}
	a, ok := apps.Lookup("feedback-collection-api")
	require.True(t, ok)
	assert.Equal(t, "ghcr.io/telepace/ai_feedback_django", a.Repository, "the image is named for the repository, not the service")
	_, ok = apps.Lookup("no-such-service")
	assert.False(t, ok)
}

func TestVoiceflow(t *testing.T) {
	p := apps.Voiceflow.Props(ctx)
	assert.True(t, p.Probes.TCP, "voiceflow has no health endpoint")
	assert.Nil(t, p.Metrics, "voiceflow has no /metrics")
	assert.Equal(t, int32(18080), p.Ports[0].Port)
	assert.Equal(t, "kubernetes.io/ws", p.Ports[0].AppProtocol)
	assert.Equal(t, "/telepace/app", p.WorkingDir)
	assert.Equal(t, []string{"./bin/voiceflow"}, p.Command)
	assert.Equal(t, []string{"--config", "./configs/config.yaml"}, p.Args)
	assert.ElementsMatch(t, []string{"/telepace/app/audio_files", "/telepace/app/config", "/telepace/app/logs", "/tmp"}, p.WritablePaths)
	assert.Equal(t, 5*time.Minute, p.TerminationGracePeriod, "WebSocket sessions need time to drain")
	assert.Equal(t, "objects:9000", p.Config["VOICEFLOW_MINIO_ENDPOINT"])
	assert.Equal(t, "telepace-pipeline", p.Config["VOICEFLOW_MINIO_BUCKET_NAME"])
	for _, s := range p.SecretEnv {
		if strings.HasPrefix(s.Name, "VOICEFLOW_MINIO_") {
			assert.Equal(t, names.ObjectStoreSecret, s.Secret, s.Name)
			assert.False(t, s.Optional, "%s: the object store is required", s.Name)
			continue
		}
		assert.Equal(t, apps.VoiceflowSecret, s.Secret, s.Name)
		assert.True(t, s.Optional, "%s: a provider key is optional", s.Name)
	}
}

func TestFeedbackCollectionAPI(t *testing.T) {
	p := apps.FeedbackCollectionAPI.Props(ctx)
	assert.Equal(t, int32(8000), p.Ports[0].Port)
	require.NotNil(t, p.Migration)
	assert.Equal(t, []string{"python", "manage.py", "migrate", "--noinput"}, p.Migration.Command)
	assert.Equal(t, "api.telepace.cc,feedback-collection-api", p.Config["DJANGO_ALLOWED_HOSTS"])
	assert.Equal(t, "pg", p.Config["POSTGRES_HOST"])
	var keys []string
	for _, s := range p.SecretEnv {
		keys = append(keys, s.Secret+"/"+s.Key)
	}
	assert.Equal(t, []string{
		"telepace-postgres/postgres-username", "telepace-postgres/postgres-password",
		"telepace-postgres/postgres-database", "telepace-redis/redis-password",
	}, keys)
}

func TestWeb(t *testing.T) {
	p := apps.Web.Props(ctx)
	assert.Equal(t, int32(3000), p.Ports[0].Port)
	assert.Equal(t, map[string]string{
		"NEXT_PUBLIC_API_URL":       "https://api.telepace.cc/api",
		"NEXT_PUBLIC_WEB_URL":       "https://telepace.cc",
		"NEXT_PUBLIC_WEBSOCKET_URL": "wss://api.telepace.cc/ws",
		"NEXT_PUBLIC_ENV":           "production",
		"NEXT_PUBLIC_ENABLE_TTS":    "true",
	}, p.Config)
}

func TestServers(t *testing.T) {
	for _, a := range []apps.App{apps.Analysis, apps.Collection} {
		p := a.Props(ctx)
		assert.Equal(t, "production", p.Config["TELEPACE_ENVIRONMENT"], a.Name)
		assert.Equal(t, int32(8080), p.Ports[0].Port, a.Name)
		require.NotNil(t, p.Metrics, a.Name)
		assert.False(t, p.Probes.TCP, "%s: HTTP /healthz and /readyz", a.Name)
	}
}

func TestEndpointString(t *testing.T) {
	assert.Equal(t, "postgres.internal:5432", apps.Endpoint{Host: "postgres.internal", Port: 5432}.String())
	assert.Equal(t, "[fd00::1]:9000", apps.Endpoint{Host: "fd00::1", Port: 9000}.String(), "an IPv6 host is bracketed")
}
