package workloads

import (
	"testing"

	"github.com/kockpit/kockpit/checks/checktest"
)

func TestMain(m *testing.M) { checktest.Main(m, Checks()) }
