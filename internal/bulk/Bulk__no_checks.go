//go:build no_runtime_type_checking

package bulk

// Building without runtime type checking enabled, so all the below just return nil

func validateBulk_ApplyParameters(scopes *[]constructs.Construct, opsFile *string, flush constructs.IValidation) error {
	return nil
}

func validateBulk_ConstructParameters(i *float64) error {
	return nil
}
