package environments_test

import (
	"testing"

	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
)

func TestMain(m *testing.M) { constructstest.Main(m) }
