package constructs

import (
	"strings"
	"sync"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// pendingNode is the tree node of a construct of this package. Its id and
// path are known on the Go side, so reading them (as composing a chart's
// topology does, once per service) costs no call into the kernel; every
// other method is the kernel node's.
type pendingNode struct{ c *pendingConstruct }

var _ constructs.Node = (*pendingNode)(nil)

// kernel returns the kernel's node, handing the queue over first if needed.
func (n *pendingNode) kernel() constructs.Node { return n.c.kernel().Node() }

// Id returns the construct's id, as constructs sanitises it.
func (n *pendingNode) Id() *string { return jsii.String(sanitizeID(n.c.id)) }

// Path returns the construct's path: the ids from the root's child down,
// joined by "/". A scope made elsewhere costs two calls the first time
// its path is needed.
func (n *pendingNode) Path() *string { return jsii.String(pathOf(n.c)) }

// sanitizeID is constructs's sanitizeId: a "/" in an id would split its
// path.
func sanitizeID(id string) string { return strings.ReplaceAll(id, "/", "--") }

// scopePaths caches the paths of scopes made elsewhere.
var scopePaths sync.Map // constructs.Construct -> string

// pathOf returns the path of c, a construct of this package or any other.
func pathOf(c constructs.Construct) string {
	if p, ok := c.(*pendingConstruct); ok {
		if p.isAppRoot() {
			return "" // the root's path, as constructs has it
		}
		parent := pathOf(p.parent)
		if parent == "" {
			return sanitizeID(p.id)
		}
		return parent + "/" + sanitizeID(p.id)
	}
	if path, ok := scopePaths.Load(c); ok {
		return path.(string)
	}
	path := *c.Node().Path()
	scopePaths.Store(c, path)
	return path
}

// Addr returns the kernel node's address.
func (n *pendingNode) Addr() *string { return n.kernel().Addr() }

// Children returns the kernel node's children.
func (n *pendingNode) Children() *[]constructs.IConstruct { return n.kernel().Children() }

// DefaultChild returns the kernel node's default child.
func (n *pendingNode) DefaultChild() constructs.IConstruct { return n.kernel().DefaultChild() }

// SetDefaultChild sets the kernel node's default child.
func (n *pendingNode) SetDefaultChild(val constructs.IConstruct) { n.kernel().SetDefaultChild(val) }

// Dependencies returns the kernel node's dependencies.
func (n *pendingNode) Dependencies() *[]constructs.IConstruct { return n.kernel().Dependencies() }

// Locked reports whether the kernel node is locked.
func (n *pendingNode) Locked() *bool { return n.kernel().Locked() }

// Metadata returns the kernel node's metadata entries.
func (n *pendingNode) Metadata() *[]*constructs.MetadataEntry { return n.kernel().Metadata() }

// Root returns the kernel node's root.
func (n *pendingNode) Root() constructs.IConstruct { return n.kernel().Root() }

// Scope returns the kernel node's scope.
func (n *pendingNode) Scope() constructs.IConstruct { return n.kernel().Scope() }

// Scopes returns the kernel node's scopes.
func (n *pendingNode) Scopes() *[]constructs.IConstruct { return n.kernel().Scopes() }

// AddDependency adds dependencies to the kernel node.
func (n *pendingNode) AddDependency(deps ...constructs.IDependable) {
	n.kernel().AddDependency(deps...)
}

// AddMetadata adds a metadata entry to the kernel node.
func (n *pendingNode) AddMetadata(type_ *string, data any, options *constructs.MetadataOptions) {
	n.kernel().AddMetadata(type_, data, options)
}

// AddValidation adds a validation to the kernel node.
func (n *pendingNode) AddValidation(validation constructs.IValidation) {
	n.kernel().AddValidation(validation)
}

// FindAll returns the kernel node's subtree.
func (n *pendingNode) FindAll(order constructs.ConstructOrder) *[]constructs.IConstruct {
	return n.kernel().FindAll(order)
}

// FindChild returns the kernel node's child id.
func (n *pendingNode) FindChild(id *string) constructs.IConstruct { return n.kernel().FindChild(id) }

// GetAllContext returns the kernel node's context.
func (n *pendingNode) GetAllContext(defaults *map[string]any) any {
	return n.kernel().GetAllContext(defaults)
}

// GetContext returns a context value of the kernel node.
func (n *pendingNode) GetContext(key *string) any { return n.kernel().GetContext(key) }

// Lock locks the kernel node.
func (n *pendingNode) Lock() { n.kernel().Lock() }

// RemoveDependency removes dependencies from the kernel node.
func (n *pendingNode) RemoveDependency(deps ...constructs.IDependable) {
	n.kernel().RemoveDependency(deps...)
}

// SetContext sets a context value on the kernel node.
func (n *pendingNode) SetContext(key *string, value any) { n.kernel().SetContext(key, value) }

// TryFindChild returns the kernel node's child id, or nil.
func (n *pendingNode) TryFindChild(id *string) constructs.IConstruct {
	return n.kernel().TryFindChild(id)
}

// TryGetContext returns a context value of the kernel node, or nil.
func (n *pendingNode) TryGetContext(key *string) any { return n.kernel().TryGetContext(key) }

// TryRemoveChild removes the kernel node's child childName.
func (n *pendingNode) TryRemoveChild(childName *string) *bool {
	return n.kernel().TryRemoveChild(childName)
}

// Validate runs the kernel node's validations.
func (n *pendingNode) Validate() *[]*string { return n.kernel().Validate() }

// With applies mixins to the kernel node's construct.
func (n *pendingNode) With(mixins ...constructs.IMixin) constructs.IConstruct {
	return n.kernel().With(mixins...)
}
