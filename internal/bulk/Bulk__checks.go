//go:build !no_runtime_type_checking

package bulk

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
)

func validateBulk_ApplyParameters(scopes *[]constructs.Construct, ops *string, flush constructs.IValidation) error {
	if scopes == nil {
		return fmt.Errorf("parameter scopes is required, but nil was provided")
	}

	if ops == nil {
		return fmt.Errorf("parameter ops is required, but nil was provided")
	}

	if flush == nil {
		return fmt.Errorf("parameter flush is required, but nil was provided")
	}

	return nil
}
