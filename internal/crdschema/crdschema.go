// Package crdschema validates custom resources against their
// CustomResourceDefinitions offline, with the apiextensions-apiserver's own
// code, in the order the apiserver applies it on create: pruning of unknown
// fields, defaulting, metadata validation, the OpenAPI v3 schema (types,
// enums, patterns, bounds, required fields), embedded metadata and list
// types, and the CEL x-kubernetes-validations rules within the apiserver's
// cost budget.
package crdschema

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// Validator validates objects of every kind its CRDs define.
type Validator struct {
	kinds map[schema.GroupVersionKind]*version
}

type version struct {
	crd        string
	namespaced bool
	statusSub  bool
	structural *structuralschema.Structural
	schema     apiservervalidation.SchemaValidator
	cel        *cel.Validator // nil without x-kubernetes-validations
}

// New builds a Validator for every served version of the CRDs. A schema
// that is not structural is an error, as the apiserver refuses it.
func New(crds []*apiextensionsv1.CustomResourceDefinition) (*Validator, error) {
	v := &Validator{kinds: map[schema.GroupVersionKind]*version{}}
	for _, crd := range crds {
		for _, ver := range crd.Spec.Versions {
			if !ver.Served {
				continue
			}
			if ver.Schema == nil || ver.Schema.OpenAPIV3Schema == nil {
				return nil, fmt.Errorf("CRD %s %s: no openAPIV3Schema", crd.Name, ver.Name)
			}
			internal := &apiextensionsinternal.CustomResourceValidation{}
			if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(ver.Schema, internal, nil); err != nil {
				return nil, fmt.Errorf("CRD %s %s: %w", crd.Name, ver.Name, err)
			}
			s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
			if err != nil {
				return nil, fmt.Errorf("CRD %s %s: %w", crd.Name, ver.Name, err)
			}
			if errs := structuralschema.ValidateStructural(nil, s); len(errs) > 0 {
				return nil, fmt.Errorf("CRD %s %s: not a structural schema: %w", crd.Name, ver.Name, errs.ToAggregate())
			}
			s = s.DeepCopy()
			if err := structuraldefaulting.PruneDefaults(s); err != nil {
				return nil, fmt.Errorf("CRD %s %s: %w", crd.Name, ver.Name, err)
			}
			sv, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
			if err != nil {
				return nil, fmt.Errorf("CRD %s %s: %w", crd.Name, ver.Name, err)
			}
			gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: ver.Name, Kind: crd.Spec.Names.Kind}
			v.kinds[gvk] = &version{
				crd:        crd.Name,
				namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
				statusSub:  ver.Subresources != nil && ver.Subresources.Status != nil,
				structural: s,
				schema:     sv,
				cel:        cel.NewValidator(s, true, celconfig.PerCallLimit),
			}
		}
	}
	return v, nil
}

// Knows reports whether a CRD defines gvk.
func (v *Validator) Knows(gvk schema.GroupVersionKind) bool { _, ok := v.kinds[gvk]; return ok }

// Result is what the apiserver would say about an object.
type Result struct {
	// CRD names the CustomResourceDefinition that validated it.
	CRD string
	// UnknownFields are the paths pruning removed: fields the schema does
	// not define, which the apiserver drops (or rejects under strict field
	// validation).
	UnknownFields []string
	// Errors are what the apiserver would reject the object for, sorted.
	Errors []string
}

// OK reports whether the object would be accepted as written.
func (r Result) OK() bool { return len(r.UnknownFields) == 0 && len(r.Errors) == 0 }

// ValidateYAML validates one YAML document as a create. The namespace, if
// the object has none and its kind is namespaced, is taken as namespace.
func (v *Validator) ValidateYAML(doc []byte, namespace string) (Result, error) {
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return Result{}, err
	}
	u := &unstructured.Unstructured{}
	// The JSON scheme decodes integers as int64, as the apiserver does; CEL
	// rules on integers fail on the float64 a plain YAML decode gives.
	if err := u.UnmarshalJSON(j); err != nil {
		return Result{}, err
	}
	return v.Validate(u, namespace)
}

// Validate validates u as a create, changing it as the apiserver would
// (pruned and defaulted).
func (v *Validator) Validate(u *unstructured.Unstructured, namespace string) (Result, error) {
	gvk := u.GroupVersionKind()
	ver, ok := v.kinds[gvk]
	if !ok {
		return Result{}, fmt.Errorf("no pinned CustomResourceDefinition defines %s", gvk)
	}
	if ver.namespaced && u.GetNamespace() == "" {
		u.SetNamespace(namespace)
	}
	if ver.statusSub {
		// The apiserver resets status on create when it is a subresource.
		delete(u.Object, "status")
	}
	res := Result{CRD: ver.crd}
	res.UnknownFields = structuralpruning.PruneWithOptions(u.Object, ver.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	slices.Sort(res.UnknownFields)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u.Object, ver.structural)
	var errs field.ErrorList
	if err, _ := schemaobjectmeta.CoerceWithOptions(nil, u.Object, ver.structural, false, schemaobjectmeta.CoerceOptions{}); err != nil {
		errs = append(errs, err)
	}
	structuraldefaulting.Default(u.Object, ver.structural)
	errs = append(errs, metavalidation.ValidateObjectMetaAccessor(u, ver.namespaced, metavalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, u.Object, ver.schema)...)
	errs = append(errs, schemaobjectmeta.Validate(context.Background(), nil, u.Object, ver.structural, false)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, ver.structural, u.Object)...)
	if blocking(errs) {
		// As the apiserver: CEL rules are not run on an object of the
		// wrong shape, and it says so.
		errs = append(errs, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
	} else if ver.cel != nil {
		celErrs, remaining := ver.cel.Validate(context.Background(), nil, ver.structural, u.Object, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
		if remaining < 0 {
			errs = append(errs, field.Forbidden(nil, "the CEL cost budget was exceeded"))
		}
	}
	for _, e := range errs {
		res.Errors = append(res.Errors, e.Error())
	}
	slices.Sort(res.Errors)
	return res, nil
}

// blocking is the apiserver's rule (registry/customresource/strategy.go)
// for errors that stop CEL validation.
func blocking(errs field.ErrorList) bool {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}

// String summarises a result for test failures.
func (r Result) String() string {
	var b strings.Builder
	for _, f := range r.UnknownFields {
		fmt.Fprintf(&b, "unknown field %s\n", f)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "%s\n", e)
	}
	return b.String()
}
