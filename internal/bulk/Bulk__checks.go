//go:build !no_runtime_type_checking

package bulk

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
)

func validateBulk_ApplyParameters(scopes *[]constructs.Construct, opsFile *string, flush constructs.IValidation) error {
	if scopes == nil {
		return fmt.Errorf("parameter scopes is required, but nil was provided")
	}

	if opsFile == nil {
		return fmt.Errorf("parameter opsFile is required, but nil was provided")
	}

	if flush == nil {
		return fmt.Errorf("parameter flush is required, but nil was provided")
	}

	return nil
}

func validateBulk_ConstructParameters(i *float64) error {
	if i == nil {
		return fmt.Errorf("parameter i is required, but nil was provided")
	}

	return nil
}
