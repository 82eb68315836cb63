package apps

import (
	"time"

	"github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/names"
)

// VoiceflowSecret holds voiceflow's speech and language provider keys.
// Every one is optional: voiceflow uses the providers whose keys it has.
const VoiceflowSecret = "voiceflow-credentials"

// Voiceflow is the Go speech pipeline (ghcr.io/telepace/voiceflow): STT ->
// LLM -> TTS over long-lived WebSocket connections on port 18080.
//
// It has no /healthz, /readyz or /metrics, so it is probed by TCP and not
// scraped. Its image runs as root from /telepace/app; here it runs as a
// non-root user under a read-only root filesystem, with emptyDir volumes
// where it writes: logs, runtime config, audio files (when its object store, VOICEFLOW_MINIO_*, is off) and
// /tmp. Every setting is read from VOICEFLOW_* variables. Terminating pods
// get five minutes to let WebSocket sessions finish.
//
// Its POST /config endpoint switches providers without authentication: it
// must never be routed from the internet. The Service is ClusterIP only.
var Voiceflow = App{
	Name:       "voiceflow",
	Repository: "ghcr.io/telepace/voiceflow",
	Props: func(ctx Context) constructs.MicroserviceProps {
		provider := func(name, key string) constructs.SecretEnv {
			return constructs.SecretEnv{Name: name, Secret: VoiceflowSecret, Key: key, Optional: true}
		}
		return constructs.MicroserviceProps{
			Component:  "pipeline",
			WorkingDir: "/telepace/app",
			Command:    []string{"./bin/voiceflow"},
			Args:       []string{"--config", "./configs/config.yaml"},
			Ports:      []constructs.Port{{Name: "http", Port: 18080, AppProtocol: "kubernetes.io/ws"}},
			Probes:     constructs.Probes{TCP: true},
			Config: map[string]string{
				"VOICEFLOW_SERVER_PORT":       "18080",
				"VOICEFLOW_MINIO_ENDPOINT":    ctx.Backends.ObjectStore.String(),
				"VOICEFLOW_MINIO_BUCKET_NAME": "telepace-pipeline",
			},
			SecretEnv: []constructs.SecretEnv{
				{Name: "VOICEFLOW_MINIO_ACCESS_KEY", Secret: names.ObjectStoreSecret, Key: "access-key"},
				{Name: "VOICEFLOW_MINIO_SECRET_KEY", Secret: names.ObjectStoreSecret, Key: "secret-key"},
				provider("VOICEFLOW_OPENAI_API_KEY", "openai-api-key"),
				provider("VOICEFLOW_AZURE_SPEECH_KEY", "azure-speech-key"),
				provider("VOICEFLOW_AZURE_STT_KEY", "azure-stt-key"),
				provider("VOICEFLOW_AZURE_TTS_KEY", "azure-tts-key"),
				provider("VOICEFLOW_ASSEMBLYAI_API_KEY", "assemblyai-api-key"),
				provider("VOICEFLOW_WHISPER_API_KEY", "whisper-api-key"),
			},
			WritablePaths: []string{
				"/telepace/app/audio_files",
				"/telepace/app/config",
				"/telepace/app/logs",
				"/tmp",
			},
			// The object store, and the STT, TTS and LLM providers over HTTPS.
			Egress: []constructs.EgressRule{
				ctx.Backends.ObjectStore.Egress("object-store"),
				ProvidersEgress(),
			},
			TerminationGracePeriod: 5 * time.Minute,
			PreStopDelay:           15 * time.Second,
			// Never routed through the gateway (see Routes).
			PrivatePaths: []string{"/config"},
			// Kong keeps speech sessions open for up to an hour of silence
			// either way; its default is one minute. Values are milliseconds.
			ServiceAnnotations: map[string]string{
				"konghq.com/connect-timeout": "5000",
				"konghq.com/read-timeout":    "3600000",
				"konghq.com/write-timeout":   "3600000",
			},
		}
	},
	// Only the WebSocket is public: exactly /ws, GET (the upgrade request).
	// The embedded UI, /audio_files/ and POST /config stay inside the
	// cluster.
	Routes: func(ctx Context) []constructs.Route {
		return []constructs.Route{{Host: ctx.Domains.API, Path: "/ws", Exact: true, Methods: []string{"GET"}, WebSocket: true}}
	},
}
