package testcluster

import (
	"testing"
)

var cluster *Cluster

func TestMain(m *testing.M) { Main(m, Options{}, &cluster) }

func TestUp(t *testing.T) { t.Log(cluster.Server) }
