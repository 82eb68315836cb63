package apps

// Collection is the collection API server (ghcr.io/telepace/collection).
var Collection = App{
	Name:       "collection",
	Repository: "ghcr.io/telepace/collection",
	Props:      telepaceServer,
	Routes:     apiRoutes("collection"),
}
