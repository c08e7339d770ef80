package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cert-manager/cert-manager/pkg/controller"

	// Each package registers its controller (or issuer type) with cert-manager's registry in init(),
	// the way cert-manager's own controller binary wires them in.
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificate-shim/ingresses"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/metrics"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// defaultControllers is cert-manager v1.21.2's on-by-default set without the issuer types that need an
// outside service (ACME orders and challenges, Vault, Venafi): those controllers only skip requests for
// other issuers, from the shared informer cache, and would pull every DNS provider SDK into the build.
// See docs/adr/0014-cert-manager-launcher.md.
var defaultControllers = []string{
	"issuers",
	"clusterissuers",
	"certificates-metrics",
	"ingress-shim",
	"certificaterequests-approver",
	"certificaterequests-issuer-ca",
	"certificaterequests-issuer-selfsigned",
	"certificates-trigger",
	"certificates-issuing",
	"certificates-key-manager",
	"certificates-request-manager",
	"certificates-readiness",
	"certificates-revision-manager",
}

// clusterScoped controllers are dropped when the controller is scoped to one namespace, as
// cert-manager does: a namespaced controller cannot watch cluster-scoped objects.
var clusterScoped = []string{"clusterissuers"}

// enabledControllers resolves the --controllers list ("*" = the default set, "-name" removes one) and
// the namespace scope into the controllers to start; every name must be registered in this binary.
func enabledControllers(requested []string, namespace string) ([]string, error) {
	var enabled, disabled []string
	for _, name := range requested {
		switch {
		case name == "*":
			enabled = append(enabled, defaultControllers...)
		case strings.HasPrefix(name, "-"):
			disabled = append(disabled, strings.TrimPrefix(name, "-"))
		case name != "":
			enabled = append(enabled, name)
		}
	}
	if len(enabled) == 0 {
		enabled = append(enabled, defaultControllers...)
	}
	if namespace != "" {
		disabled = append(disabled, clusterScoped...)
	}
	known := controller.Known()
	var out []string
	for _, name := range enabled {
		if _, ok := known[name]; !ok {
			return nil, fmt.Errorf("controller %q is not built into this launcher", name)
		}
		if !slices.Contains(disabled, name) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}
