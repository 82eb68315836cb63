package environments_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/apps"
	"github.com/telepace/platform-charts/environments"
)

func TestEnvironments(t *testing.T) {
	tests := []struct {
		name, namespace, telepace string
		replicas                  int32
	}{
		{"dev", "telepace-dev", "development", 1},
		{"staging", "telepace-staging", "staging", 2},
		{"prod", "telepace", "production", 3},
	}
	var names []string
	for _, e := range environments.All() {
		names = append(names, e.Name)
	}
	assert.Equal(t, []string{"dev", "staging", "prod"}, names)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := environments.Lookup(tt.name)
			require.True(t, ok)
			assert.Equal(t, tt.namespace, e.Namespace)
			assert.Equal(t, tt.telepace, e.TelepaceEnvironment)
			var deployed []string
			for _, s := range e.Services {
				deployed = append(deployed, s.App)
				assert.Equal(t, tt.replicas, s.Replicas, s.App)
				assert.Contains(t, e.Images, s.App)
			}
			assert.Equal(t, apps.Names(), deployed, "every service, in name order")
		})
	}
	_, ok := environments.Lookup("qa")
	assert.False(t, ok)
}
