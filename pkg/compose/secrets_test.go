package compose_test

import (
	"maps"
	"slices"
	"time"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/environments/environmentstest"
	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// secretsInputs are mistakes in the producers of the Secrets the environment reads, which the secrets layer reports.
var secretsInputs = []badInput{
	{
		name: "generated keys and Secrets nobody reads",
		envs: one(func(e environments.Environment) environments.Environment {
			gen := maps.Clone(e.Secrets.Generated)
			pg := gen["telepace-postgres"]
			pg.Passwords = append(slices.Clone(pg.Passwords), "admin-password")
			gen["telepace-postgres"] = pg
			gen["telepace-cache"] = environments.GeneratedSecret{Passwords: []string{"password"}}
			e.Secrets.Generated = gen
			return e
		}),
		want: []string{
			`[dev] secrets.generated[telepace-cache]: no service, consumer or receiver reads Secret "telepace-cache"`,
			`[dev] secrets.generated[telepace-postgres].passwords[1]: no service, consumer or receiver reads key "admin-password" of Secret "telepace-postgres"`,
		},
	},
	{
		name: "Secret references nothing produces",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Secrets.Store = nil
			e.Secrets.RefreshInterval = 0
			return environmentstest.WithService(e, "feedback-collection-api", func(s *environments.Service) {
				s.Customize = func(p *pc.MicroserviceProps) {
					p.SecretEnv = append(p.SecretEnv,
						pc.SecretEnv{Name: "REDIS_USERNAME", Secret: "telepace-redis", Key: "redis-username"},
						pc.SecretEnv{Name: "SENTRY_DSN", Secret: "sentry", Key: "dsn"},
					)
				}
			})
		}),
		want: []string{
			`[dev/feedback-collection-api] secretEnv[5]: Secret "sentry" has no producer: the environment has no secret store, and does not generate or seal it`,
			`[dev/feedback-collection-api] secretEnv[4]: Secret "telepace-redis" is generated without key "redis-username"; add it to secrets.generated[telepace-redis]`,
		},
	},
	{
		name: "a store nothing reads, mixed optional and required keys, names Secret Manager refuses",
		envs: func() []environments.Environment {
			dev := dev()
			dev.Secrets.Sealed = []pc.SealedSecretProps{{Name: "voiceflow-credentials", EncryptedData: map[string]string{"openai-api-key": sealedValue}}}
			staging := environmentstest.WithService(environmentstest.Lookup("staging"), "feedback-collection-api", func(s *environments.Service) {
				s.Customize = func(p *pc.MicroserviceProps) {
					p.SecretEnv = append(p.SecretEnv,
						pc.SecretEnv{Name: "REDIS_CA", Secret: "telepace-redis", Key: "redis-ca", Optional: true},
						pc.SecretEnv{Name: "SETTINGS", Secret: "django", Key: "settings.json"},
					)
				}
			})
			staging.Secrets.RefreshInterval = time.Second
			return []environments.Environment{dev, staging}
		},
		want: []string{
			`[dev] secrets.store: no Secret is read from it; every Secret is generated or sealed, so remove the store`,
			`[staging] secrets.refreshInterval: 1s would call the store more than once a minute per Secret; use a minute or more`,
			`[staging] secrets: Secret "django" would be read from Secret Manager as "staging-django-settings.json", which is not a secret ID (letters, digits, '-' and '_', at most 255)`,
			`[staging] secrets: Secret "telepace-redis" is read with required keys (redis-password) and optional keys (redis-ca); a missing optional value would keep the required ones from the pods, so keep optional keys in a Secret of their own`,
		},
	},
}
