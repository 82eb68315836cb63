package apps

// Analysis is the analysis API server (ghcr.io/telepace/analysis).
var Analysis = App{
	Name:       "analysis",
	Repository: "ghcr.io/telepace/analysis",
	Props:      telepaceServer,
	Routes:     apiRoutes("analysis"),
}
