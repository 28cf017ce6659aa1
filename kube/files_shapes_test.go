// Tests of wrong shapes in snapshot files: each is refused at the line and column of the
// wrong value, with the same message whether the file is YAML or JSON.

package kube

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// shapeCase is one wrong shape, written in YAML and in JSON, and where each is refused.
type shapeCase struct {
	name       string
	yaml, json string
	// yamlAt and jsonAt are line and column of the wrong value in each.
	yamlAt, jsonAt [2]int
	// words are in both messages.
	words []string
}

var shapeCases = []shapeCase{
	{name: "items are an object",
		yaml:   "apiVersion: v1\nkind: List\nitems: {a: 1}\n",
		json:   "{\"apiVersion\": \"v1\",\n\"kind\": \"List\",\n\"items\": {\"a\": 1}}",
		yamlAt: [2]int{3, 8}, jsonAt: [2]int{3, 10},
		words: []string{"items of a List must be a list of objects, found an object"}},
	{name: "items are a string, kind after them",
		yaml:   "apiVersion: v1\nitems: abc\nkind: PodList\n",
		json:   "{\"apiVersion\": \"v1\",\n\"items\": \"abc\",\n\"kind\": \"PodList\"}",
		yamlAt: [2]int{2, 8}, jsonAt: [2]int{2, 10},
		words: []string{`items of a PodList must be a list of objects, found a string`}},
	{name: "an item is a number",
		yaml:   "apiVersion: v1\nkind: List\nitems:\n- 3\n",
		json:   "{\"apiVersion\": \"v1\",\n\"kind\": \"List\",\n\"items\": [\n3]}",
		yamlAt: [2]int{4, 3}, jsonAt: [2]int{4, 1},
		words: []string{`items of a List must be objects: found a number`}},
	{name: "a key set twice",
		yaml:   "apiVersion: v1\nkind: Node\nmetadata:\n  name: a\n  name: b\n",
		json:   "{\"apiVersion\": \"v1\",\n\"kind\": \"Node\",\n\"metadata\": {\n  \"name\": \"a\",\n  \"name\": \"b\"}}",
		yamlAt: [2]int{5, 3}, jsonAt: [2]int{5, 3},
		words: []string{`key "name" is set twice in one object (first at line 4)`}},
	{name: "a list's own key set twice",
		yaml:   "apiVersion: v1\nkind: List\nkind: List\nitems: []\n",
		json:   "{\"apiVersion\": \"v1\",\n\"kind\": \"List\",\n\"kind\": \"List\",\n\"items\": []}",
		yamlAt: [2]int{3, 1}, jsonAt: [2]int{3, 1},
		words: []string{`key "kind" is set twice in one object (first at line 2)`}},
	{name: "a key set twice in an item's container",
		yaml:   "apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: p}\n  spec:\n    containers:\n    - {name: a,\n       image: x,\n       image: y}\n",
		json:   "{\"apiVersion\": \"v1\",\n\"kind\": \"PodList\",\n\"items\": [\n{\"metadata\": {\"name\": \"p\"},\n \"spec\": {\n  \"containers\": [\n  {\"name\": \"a\",\n   \"image\": \"x\",\n   \"image\": \"y\"}]}}]}",
		yamlAt: [2]int{9, 8}, jsonAt: [2]int{9, 4},
		words: []string{`key "image" is set twice in one object (first at line 8)`}},
	{name: "a time that is not one",
		yaml:   "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  creationTimestamp: yesterday\n",
		json:   "{\"apiVersion\": \"v1\",\n\"kind\": \"Pod\",\n\"metadata\": {\n  \"name\": \"p\",\n  \"creationTimestamp\": \"yesterday\"}}",
		yamlAt: [2]int{5, 22}, jsonAt: [2]int{5, 24},
		words: []string{`Pod "p": metadata.creationTimestamp: parsing time "yesterday"`}},
	{name: "a quantity that is not one, in the second container",
		yaml:   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n      - name: b\n        resources:\n          limits: {cpu: lots}\n",
		json:   "{\"apiVersion\": \"apps/v1\",\n\"kind\": \"Deployment\",\n\"metadata\": {\"name\": \"d\"},\n\"spec\": {\n  \"template\": {\n    \"spec\": {\n      \"containers\": [\n      {\"name\": \"a\"},\n      {\"name\": \"b\",\n        \"resources\": {\n          \"limits\": {\"cpu\": \"lots\"}}}]}}}}",
		yamlAt: [2]int{11, 25}, jsonAt: [2]int{11, 29},
		words: []string{`Deployment "d": spec.template.spec.containers[1].resources.limits.cpu: quantities must match`}},
	{name: "an integer that is a string",
		yaml:   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: many\n",
		json:   "{\"apiVersion\": \"apps/v1\",\n\"kind\": \"Deployment\",\n\"metadata\": {\"name\": \"d\"},\n\"spec\": {\n  \"replicas\": \"many\"}}",
		yamlAt: [2]int{5, 13}, jsonAt: [2]int{5, 15},
		words: []string{`Deployment "d": spec.replicas must be an integer, not string`}},
	{name: "a custom resource's name that is a number",
		yaml:   "apiVersion: x.io/v1\nkind: Thing\nmetadata:\n  name: 3\n",
		json:   "{\"apiVersion\": \"x.io/v1\",\n\"kind\": \"Thing\",\n\"metadata\": {\n  \"name\": 3}}",
		yamlAt: [2]int{4, 9}, jsonAt: [2]int{4, 11},
		words: []string{"metadata.name must be a string, not number"}},
	{name: "a custom resource's labels that are a list",
		yaml:   "apiVersion: x.io/v1\nkind: Thing\nmetadata:\n  labels: [a]\n",
		json:   "{\"apiVersion\": \"x.io/v1\",\n\"kind\": \"Thing\",\n\"metadata\": {\n  \"labels\": [\"a\"]}}",
		yamlAt: [2]int{4, 11}, jsonAt: [2]int{4, 13},
		words: []string{"metadata.labels must be an object, not array"}},
	{name: "metadata that is a list",
		yaml:   "apiVersion: v1\nkind: Pod\nmetadata: [a]\n",
		json:   "{\"apiVersion\": \"v1\",\n\"kind\": \"Pod\",\n\"metadata\": [\"a\"]}",
		yamlAt: [2]int{3, 11}, jsonAt: [2]int{3, 13},
		words: []string{"metadata must be an object, not array"}},
	{name: "an apiVersion that is not one",
		yaml:   "kind: Thing\napiVersion: a/b/c\n",
		json:   "{\"kind\": \"Thing\",\n\"apiVersion\": \"a/b/c\"}",
		yamlAt: [2]int{2, 13}, jsonAt: [2]int{2, 15},
		words: []string{`apiVersion "a/b/c" of Thing is not GROUP/VERSION or VERSION`}},
	{name: "a kind that is a list",
		yaml:   "apiVersion: v1\nkind: [Pod]\n",
		json:   "{\"apiVersion\": \"v1\",\n\"kind\": [\"Pod\"]}",
		yamlAt: [2]int{2, 7}, jsonAt: [2]int{2, 9},
		words: []string{"kind must be a string"}},
	{name: "a document that is a list",
		yaml:   "\n- apiVersion: v1\n",
		json:   "\n[{\"apiVersion\": \"v1\"}]",
		yamlAt: [2]int{2, 1}, jsonAt: [2]int{2, 1},
		words: []string{"expected an object with apiVersion and kind, found a list"}},
}

// TestLoadWrongShapes: every wrong shape is an *InputError at the wrong value's line and
// column, with the same message in YAML and in JSON.
func TestLoadWrongShapes(t *testing.T) {
	for _, tc := range shapeCases {
		t.Run(tc.name, func(t *testing.T) {
			var msgs []string
			for _, f := range []struct {
				name, data string
				at         [2]int
			}{{"s.yaml", tc.yaml, tc.yamlAt}, {"s.json", tc.json, tc.jsonAt}} {
				_, err := loadBytes(t, f.name, f.data)
				var ie *InputError
				if !errors.As(err, &ie) {
					t.Fatalf("%s: want an *InputError, got %v", f.name, err)
				}
				if ie.Line != f.at[0] || ie.Column != f.at[1] {
					t.Errorf("%s: at %d:%d, want %d:%d: %v", f.name, ie.Line, ie.Column, f.at[0], f.at[1], err)
				}
				for _, w := range tc.words {
					if !strings.Contains(ie.Msg, w) {
						t.Errorf("%s: %q lacks %q", f.name, ie.Msg, w)
					}
				}
				msgs = append(msgs, ie.Msg)
			}
			if msgs[0] != msgs[1] {
				t.Errorf("YAML and JSON say it differently:\n  %s\n  %s", msgs[0], msgs[1])
			}
		})
	}
}

// TestLoadYAMLThatLooksLikeJSON: a file that starts like JSON but is YAML's flow style is
// read as YAML, and its errors are YAML's, where they are; a file named .json stays JSON.
func TestLoadYAMLThatLooksLikeJSON(t *testing.T) {
	s, err := loadBytes(t, "flow.yaml", "{apiVersion: v1, kind: Node, metadata: {name: n1}}\n")
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := ListOf[*corev1.Node](context.Background(), s, Nodes)
	wantNames(t, "nodes", nodes, err, "n1")

	for name, tc := range map[string]struct {
		file, data string
		line       int
		words      []string
	}{
		"flow sequence not closed":           {"a.yaml", "[{apiVersion: v1, kind: Node, metadata: {name: n}}\n", 2, []string{"YAML syntax error", "did not find expected ',' or ']'"}},
		"JSON-like with a YAML error":        {"a.yaml", "{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n \"spec\": {\"containers\": [{\"name\": \"c\"}}}\n", 2, []string{"YAML syntax error"}},
		"a bracket closed by the other kind": {"a.json", "{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n \"spec\": {\"containers\": [{\"name\": \"c\"}}}\n", 2, []string{"JSON syntax error: expected ']', found '}'"}},
		"NaN in JSON":                        {"a.json", "{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\",\n \"spec\": {\"replicas\": NaN}}", 2, []string{"JSON syntax error"}},
		"NaN in YAML":                        {"a.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: .nan\n", 5, []string{"spec.replicas: .nan is not a number an object can hold"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadBytes(t, tc.file, tc.data)
			ie := wantInputError(t, err, tc.file, tc.line, tc.words...)
			if strings.HasSuffix(tc.file, ".yaml") && strings.Contains(ie.Msg, "JSON syntax") {
				t.Errorf("a YAML file's error is called JSON's: %v", err)
			}
		})
	}
}
