// Package environmentstest helps tests edit the catalog's environments
// without touching the catalog: each function returns a copy with one
// thing changed, and panics when the catalog lacks what it names, a
// mistake in the test.
package environmentstest

import (
	"maps"
	"slices"

	"github.com/telepace/platform-charts/environments"
	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// Lookup returns a copy of the environment called name whose services and
// images may be edited.
func Lookup(name string) environments.Environment {
	e, ok := environments.Lookup(name)
	if !ok {
		panic("environmentstest: no environment " + name)
	}
	e.Services = slices.Clone(e.Services)
	e.Images = maps.Clone(e.Images)
	return e
}

// WithService returns env with the service of the app called app changed
// by edit.
func WithService(env environments.Environment, app string, edit func(*environments.Service)) environments.Environment {
	for i := range env.Services {
		if env.Services[i].App == app {
			edit(&env.Services[i])
			return env
		}
	}
	panic("environmentstest: no service " + app + " in " + env.Name)
}

// Customized returns env with the props of the service of the app called
// app changed by edit.
func Customized(env environments.Environment, app string, edit func(*pc.MicroserviceProps)) environments.Environment {
	return WithService(env, app, func(s *environments.Service) { s.Customize = edit })
}

// CustomRoutes returns env with the routes of the service of the app
// called app replaced.
func CustomRoutes(env environments.Environment, app string, routes ...pc.Route) environments.Environment {
	return WithService(env, app, func(s *environments.Service) { s.Routes = routes })
}
