package apps

import (
	"fmt"
	"strings"

	"github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/names"
)

// FeedbackCollectionAPI is the Django REST API
// (ghcr.io/telepace/ai_feedback_django) on port 8000, backed by PostgreSQL
// and Redis. Prometheus scrapes its /metrics on the same port.
//
// The image publishes no health endpoint, so the probes are TCP connects.
// The database variable names follow the usual Django settings convention
// (POSTGRES_*, REDIS_*); credentials come from Secrets by key. Database
// migrations run as a Job (manage.py migrate) before every upgrade, so a
// new version never serves an old schema. Celery workers are likely but not
// published, so they are not modelled.
var FeedbackCollectionAPI = App{
	Name:       "feedback-collection-api",
	Repository: "ghcr.io/telepace/ai_feedback_django",
	Props: func(ctx Context) constructs.MicroserviceProps {
		return constructs.MicroserviceProps{
			Component: "server",
			Ports:     []constructs.Port{{Name: "http", Port: 8000}},
			Probes:    constructs.Probes{TCP: true},
			Metrics:   &constructs.Metrics{Port: "http", Path: "/metrics"},
			Config: map[string]string{
				"DJANGO_ALLOWED_HOSTS": strings.Join([]string{ctx.Domains.API, "feedback-collection-api"}, ","),
				"TELEPACE_ENVIRONMENT": ctx.TelepaceEnvironment,
				"POSTGRES_HOST":        ctx.Backends.Postgres.Host,
				"POSTGRES_PORT":        fmt.Sprint(ctx.Backends.Postgres.Port),
				"REDIS_HOST":           ctx.Backends.Redis.Host,
				"REDIS_PORT":           fmt.Sprint(ctx.Backends.Redis.Port),
			},
			SecretEnv: []constructs.SecretEnv{
				{Name: "POSTGRES_USER", Secret: names.PostgresSecret, Key: "postgres-username"},
				{Name: "POSTGRES_PASSWORD", Secret: names.PostgresSecret, Key: "postgres-password"},
				{Name: "POSTGRES_DB", Secret: names.PostgresSecret, Key: "postgres-database"},
				{Name: "REDIS_PASSWORD", Secret: names.RedisSecret, Key: "redis-password"},
			},
			WritablePaths: []string{"/tmp"},
			// Its database and cache, and the AI providers over HTTPS.
			Egress: []constructs.EgressRule{
				ctx.Backends.Postgres.Egress("postgres"),
				ctx.Backends.Redis.Egress("redis"),
				ProvidersEgress(),
			},
			Migration: &constructs.Migration{
				Command: []string{"python", "manage.py", "migrate", "--noinput"},
			},
		}
	},
	Routes: apiRoutes("feedback"),
}
