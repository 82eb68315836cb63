package apps_test

import (
	"os"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/telepace/platform-charts/internal/jsiienv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	jsiienv.Cleanup()
	os.Exit(code)
}
