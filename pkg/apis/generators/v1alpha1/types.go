package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Password generates a random password each time an ExternalSecret that
// references it is refreshed. Its output has one key, "password".
type Password struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec PasswordSpec `json:"spec,omitempty"`
}

// PasswordSpec is the shape of the generated password. The CRD requires
// every field without omitempty.
type PasswordSpec struct {
	// Length is the number of characters.
	Length int `json:"length"`
	// Digits is how many of them are digits.
	Digits *int `json:"digits,omitempty"`
	// Symbols is how many of them are symbols.
	Symbols *int `json:"symbols,omitempty"`
	// SymbolCharacters are the symbols to choose from.
	SymbolCharacters *string `json:"symbolCharacters,omitempty"`
	// NoUpper leaves out upper-case letters.
	NoUpper bool `json:"noUpper"`
	// AllowRepeat lets a character appear more than once.
	AllowRepeat bool `json:"allowRepeat"`
}
