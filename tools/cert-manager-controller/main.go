// cert-manager-controller runs cert-manager's own controllers (the pinned module's pkg/controller
// packages) for certbridge's tests and benchmark. The module that holds cert-manager's controller
// main is not served by the Go module proxy, so this launcher builds the same controller context from
// the library packages and starts the same controllers; see docs/adr/0014-cert-manager-launcher.md.
//
// Differences from cert-manager's binary, on purpose: no leader election (one process per test), no
// metrics, profiling or healthz listeners (nothing binds a fixed port), and readiness is a file written
// once every informer has synced.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cert-manager/cert-manager/pkg/controller"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	utilfeature "github.com/cert-manager/cert-manager/pkg/util/feature"
	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"
)

type options struct {
	kubeconfig               string
	namespace                string
	clusterResourceNamespace string
	controllers              string
	workers                  int
	qps                      float64
	burst                    int
	featureGates             string
	readyFile                string
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the API server and identity to run as (required)")
	flag.StringVar(&o.namespace, "namespace", "", "watch only this namespace (cluster-scoped controllers are then off); empty: all namespaces")
	flag.StringVar(&o.clusterResourceNamespace, "cluster-resource-namespace", "kube-system", "namespace of the Secrets that ClusterIssuers refer to")
	flag.StringVar(&o.controllers, "controllers", "*", "comma-separated controllers: '*' = the default set, '-name' removes one")
	flag.IntVar(&o.workers, "concurrent-workers", 5, "workers per controller (cert-manager's default: 5)")
	flag.Float64Var(&o.qps, "kube-api-qps", 20, "client-side QPS, used only when the API server has no priority and fairness")
	flag.IntVar(&o.burst, "kube-api-burst", 50, "client-side burst, as --kube-api-qps")
	flag.StringVar(&o.featureGates, "feature-gates", "", "cert-manager feature gates, key=value pairs")
	flag.StringVar(&o.readyFile, "ready-file", "", "file to create once every controller's caches have synced")
	klog.InitFlags(flag.CommandLine)
	flag.Parse()
	return o
}

func main() {
	o := parseFlags()
	logf.InitLogs()
	defer logf.FlushLogs()
	if err := run(o); err != nil {
		logf.Log.Error(err, "cert-manager controller stopped with an error")
		logf.FlushLogs()
		os.Exit(1)
	}
}

func run(o options) error {
	if o.kubeconfig == "" {
		return fmt.Errorf("--kubeconfig is required")
	}
	if o.featureGates != "" {
		if err := utilfeature.DefaultMutableFeatureGate.Set(o.featureGates); err != nil {
			return fmt.Errorf("--feature-gates: %w", err)
		}
	}
	names, err := enabledControllers(strings.Split(o.controllers, ","), o.namespace)
	if err != nil {
		return err
	}

	root, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		// A second signal while shutting down ends the process at once.
		<-root.Done()
		stop()
		second := make(chan os.Signal, 1)
		signal.Notify(second, syscall.SIGINT, syscall.SIGTERM)
		<-second
		os.Exit(1)
	}()
	root = logf.NewContext(root, logf.Log, "controller")
	log := logf.FromContext(root)

	factory, err := newContextFactory(root, o)
	if err != nil {
		return err
	}
	base, err := factory.Build()
	if err != nil {
		return err
	}
	log.Info("starting cert-manager controllers", "controllers", names, "namespace", o.namespace, "workers", o.workers)

	g, gctx := errgroup.WithContext(root)
	for _, name := range names {
		ctrl, err := controller.Known()[name](factory)
		if err != nil {
			return fmt.Errorf("building controller %s: %w", name, err)
		}
		g.Go(func() error { return ctrl.Run(o.workers, gctx) })
	}
	// Informers are registered by the constructors above; start them only now, as cert-manager does.
	base.SharedInformerFactory.Start(gctx.Done())
	base.KubeSharedInformerFactory.Start(gctx.Done())
	base.HTTP01ResourceMetadataInformersFactory.Start(gctx.Done())

	g.Go(func() error { return announceReady(gctx, base, o.readyFile) })
	err = g.Wait()
	base.HTTP01ResourceMetadataInformersFactory.Shutdown()
	base.KubeSharedInformerFactory.Shutdown()
	base.SharedInformerFactory.Shutdown()
	if err != nil && root.Err() == nil {
		return err
	}
	log.Info("control loops exited")
	return nil
}

func newContextFactory(ctx context.Context, o options) (*controller.ContextFactory, error) {
	return controller.NewContextFactory(ctx, controller.ContextOptions{
		Kubeconfig:         o.kubeconfig,
		KubernetesAPIQPS:   float32(o.qps),
		KubernetesAPIBurst: o.burst,
		Namespace:          o.namespace,
		IssuerOptions: controller.IssuerOptions{
			ClusterResourceNamespace:        o.clusterResourceNamespace,
			ClusterIssuerAmbientCredentials: true,
			IssuerAmbientCredentials:        false,
		},
		IngressShimOptions: controller.IngressShimOptions{
			DefaultIssuerKind:                 "Issuer",
			DefaultIssuerGroup:                "cert-manager.io",
			DefaultAutoCertificateAnnotations: []string{"kubernetes.io/tls-acme"},
			GatewayAPIExtraProtocols:          sets.New[string](),
		},
		// cert-manager v1.21.2's defaults (internal/apis/config/controller/v1alpha1/defaults.go).
		CertificateOptions: controller.CertificateOptions{
			CopiedAnnotationPrefixes:                 []string{"*", "-kubectl.kubernetes.io/", "-fluxcd.io/", "-argocd.argoproj.io/"},
			CertificateRequestMinimumBackoffDuration: time.Hour,
			CertificateRequestMaximumBackoffDuration: 32 * time.Hour,
		},
	})
}

// announceReady writes the ready file once every started informer has synced (the controllers' own
// Run waits for the same caches before its workers start).
func announceReady(ctx context.Context, base *controller.Context, path string) error {
	for name, synced := range base.SharedInformerFactory.WaitForCacheSync(ctx.Done()) {
		if !synced {
			return ctxErrOr(ctx, fmt.Errorf("informer %v did not sync", name))
		}
	}
	for name, synced := range base.KubeSharedInformerFactory.WaitForCacheSync(ctx.Done()) {
		if !synced {
			return ctxErrOr(ctx, fmt.Errorf("informer %v did not sync", name))
		}
	}
	logf.FromContext(ctx).Info("cert-manager controllers ready")
	if path == "" {
		return nil
	}
	return os.WriteFile(path, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644)
}

func ctxErrOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}
