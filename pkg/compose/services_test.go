package compose_test

import (
	"fmt"
	"strings"

	"github.com/telepace/platform-charts/apps"
	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/environments/environmentstest"
	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// servicesInputs are mistakes in the environment's own fields, its services and their egress into the namespace, which the services layer reports.
var servicesInputs = []badInput{
	{
		name: "unknown service",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Services = append(e.Services, environments.Service{App: noService, Replicas: 1, Resources: environments.Resources("10m", "16Mi", "20m", "32Mi")})
			return e
		}),
		want: []string{fmt.Sprintf(`[dev] services[%d].app: unknown service %q; known services: %s`, len(dev().Services), noService, apps.KnownNames())},
	},
	{
		name: "two services claim the same name",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Services = append(e.Services, environments.Service{App: "collection", Name: "analysis", Replicas: 1, Resources: environments.Resources("10m", "16Mi", "20m", "32Mi")})
			return e
		}),
		want: []string{fmt.Sprintf(`[dev] services[%d].name: "analysis" is already claimed by services[%d]`, len(dev().Services), devIndex("analysis"))},
	},
	{
		name: "service name is not a DNS label",
		envs: one(func(e environments.Environment) environments.Environment {
			e = environmentstest.WithService(e, "web", func(s *environments.Service) { s.Name = "Web" })
			e.Images["Web"] = e.Images["web"]
			delete(e.Images, "web")
			return e
		}),
		want: []string{fmt.Sprintf(`[dev] services[%d].name: "Web" is not a valid service name: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`, devIndex("web"))},
	},
	{
		name: "empty environment",
		envs: one(func(e environments.Environment) environments.Environment { e.Services, e.Images = nil, nil; return e }),
		want: []string{`[dev] services: the environment deploys no services`},
	},
	{
		name: "image for a service that is not deployed",
		envs: one(func(e environments.Environment) environments.Environment { e.Images[noService] = "main"; return e }),
		want: []string{`[dev] images[` + noService + `]: no service named "` + noService + `" is deployed`},
	},
	{
		name: "empty namespace",
		envs: one(func(e environments.Environment) environments.Environment { e.Namespace = ""; return e }),
		want: []string{`[dev] namespace: is required`},
	},
	{
		name: "invalid namespace",
		envs: one(func(e environments.Environment) environments.Environment { e.Namespace = "Telepace_Dev"; return e }),
		want: []string{`[dev] namespace: "Telepace_Dev" is not a valid namespace name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
	},
	{
		name: "a system namespace",
		envs: one(func(e environments.Environment) environments.Environment { e.Namespace = "kube-system"; return e }),
		want: []string{`[dev] namespace: "kube-system" is reserved for the Kubernetes system; install Telepace into a namespace of its own`},
	},
	{
		name: "a domain label DNS cannot resolve",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Domains.Web = strings.Repeat("w", 64) + ".telepace.cc"
			return e
		}),
		want: []string{`[dev] domains.web: "` + strings.Repeat("w", 64) + `.telepace.cc" has a label longer than 63 characters, which DNS cannot resolve`},
	},
	{
		name: "Pod Security levels that are missing, unknown, or below restricted without a reason",
		envs: func() []environments.Environment {
			dev := dev()
			dev.PodSecurity = environments.PodSecurity{Enforce: "privileged"}
			staging := environmentstest.Lookup("staging")
			staging.PodSecurity.Enforce = "strict"
			prod := environmentstest.Lookup("prod")
			prod.PodSecurity = environments.PodSecurity{}
			return []environments.Environment{dev, staging, prod}
		},
		want: []string{
			`[dev] podSecurity.why: enforcing privileged, below restricted, needs the reason: which pods need it, and what`,
			`[staging] podSecurity.enforce: "strict" is not a Pod Security level: restricted, baseline or privileged`,
			`[prod] podSecurity.enforce: is required: restricted, baseline or privileged`,
		},
	},
	{
		name: "egress to ports nothing in the namespace declares",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.WithService(e, "analysis", func(s *environments.Service) {
				s.Customize = func(p *pc.MicroserviceProps) {
					p.Egress = append(p.Egress,
						pc.EgressRule{Name: "collection", PodLabels: map[string]string{pc.LabelName: "collection"}, Ports: []pc.EgressPort{{Port: 9090}}},
						pc.EgressTo("postgres-typo", "postgresql", 5433, ""),
					)
				}
			})
		}),
		want: []string{
			`[dev/analysis] egress[1].ports[0].port: 9090 is not a port of service "collection" (it has http 8080)`,
			`[dev/analysis] egress[2].ports[0].port: 5433 is not declared by any service, backend or collector of the namespace (` + devDeclaredPorts() + `)`,
		},
	},
	{
		name: "a Customize that changes what the environment sets: the name, the image, the environment, the tag rule",
		envs: one(func(e environments.Environment) environments.Environment {
			e = environmentstest.Customized(e, "analysis", func(p *pc.MicroserviceProps) { p.Name = "web" })
			return environmentstest.Customized(e, "collection", func(p *pc.MicroserviceProps) {
				p.Image = pc.ImageRef(p.Image.Repository, "latest")
				p.Environment = "prod"
				p.AllowFloatingTags = !p.AllowFloatingTags
			})
		}),
		want: []string{
			fmt.Sprintf(`[dev] services[%d].customize: changes name, which the environment sets; set services[%d].name`, devIndex("analysis"), devIndex("analysis")),
			fmt.Sprintf(`[dev] services[%d].customize: changes image, which the environment sets; set the environment's image map`, devIndex("collection")),
			fmt.Sprintf(`[dev] services[%d].customize: changes environment, which the environment sets; it is the environment's name`, devIndex("collection")),
			fmt.Sprintf(`[dev] services[%d].customize: changes allowFloatingTags, which the environment sets; it is the environment's tag rule`, devIndex("collection")),
		},
	},
}
