// Package catalog lists every probe area and its checks: the one place a new area is added.
package catalog

import (
	"sort"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/api"
	"github.com/kockpit/kockpit/checks/dns"
	"github.com/kockpit/kockpit/checks/host"
	"github.com/kockpit/kockpit/checks/hubble"
	"github.com/kockpit/kockpit/checks/network"
	"github.com/kockpit/kockpit/checks/runtime"
	"github.com/kockpit/kockpit/checks/storage"
	"github.com/kockpit/kockpit/checks/versions"
	"github.com/kockpit/kockpit/checks/workloads"
)

// Area is a probe area: a package under checks/ whose checks share a category and an ID prefix.
type Area struct {
	// Name is the package's name and its checks' ID prefix ("dns" for dns.policy).
	Name string
	// Category is the category every check of the area has.
	Category checks.Category
	// Checks lists the area's checks.
	Checks func() []checks.Check
}

// Areas lists the probe areas, in the order the cockpit shows their categories.
func Areas() []Area {
	return []Area{
		{Name: "api", Category: checks.CategoryAPI, Checks: api.Checks},
		{Name: "dns", Category: checks.CategoryDNS, Checks: dns.Checks},
		{Name: "network", Category: checks.CategoryNetwork, Checks: network.Checks},
		{Name: "hubble", Category: checks.CategoryHubble, Checks: hubble.Checks},
		{Name: "runtime", Category: checks.CategoryRuntime, Checks: runtime.Checks},
		{Name: "storage", Category: checks.CategoryStorage, Checks: storage.Checks},
		{Name: "workloads", Category: checks.CategoryWorkloads, Checks: workloads.Checks},
		{Name: "versions", Category: checks.CategoryVersions, Checks: versions.Checks},
		{Name: "host", Category: checks.CategoryHost, Checks: host.Checks},
	}
}

// All returns every check of every area, ordered by category (as checks.Categories lists
// them), then by ID.
func All() []checks.Check {
	var out []checks.Check
	for _, a := range Areas() {
		out = append(out, a.Checks()...)
	}
	rank := map[checks.Category]int{}
	for i, c := range checks.Categories {
		rank[c] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		if rank[out[i].Category] != rank[out[j].Category] {
			return rank[out[i].Category] < rank[out[j].Category]
		}
		return out[i].ID < out[j].ID
	})
	return out
}
