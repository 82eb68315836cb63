package constructs_test

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
)

// A Microservice with autoscaling from two to six replicas, a ConfigMap
// and a Secret reference.
func ExampleNewMicroservice() {
	objs, err := constructstest.Synth(func(chart constructs.Construct) {
		pc.NewMicroservice(chart, "analysis", pc.MicroserviceProps{
			Environment: "prod",
			Image:       pc.ImageRef("ghcr.io/telepace/analysis", "v0.13.0"),
			Ports:       []pc.Port{{Name: "http", Port: 8080}},
			Metrics:     &pc.Metrics{},
			Replicas:    ptr.To[int32](2),
			MaxReplicas: ptr.To[int32](6),
			Resources:   resources("100m", "256Mi", "1", "512Mi"),
			Config:      map[string]string{"TELEPACE_ENVIRONMENT": "production"},
			SecretEnv:   []pc.SecretEnv{{Name: "DB_PASSWORD", Secret: "analysis-db", Key: "password"}},
		})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range constructstest.Kinds(objs) {
		fmt.Println(k)
	}
	// Output:
	// ServiceAccount/analysis
	// ConfigMap/analysis
	// Deployment/analysis
	// Service/analysis
	// PodDisruptionBudget/analysis
	// NetworkPolicy/analysis
	// HorizontalPodAutoscaler/analysis
}

// Invalid props are reported together at synth time, each with the
// construct path and the field.
func ExampleNewMicroservice_validation() {
	_, err := constructstest.Synth(func(chart constructs.Construct) {
		pc.NewMicroservice(chart, "voiceflow", pc.MicroserviceProps{
			Environment: "prod",
			Image:       pc.ImageRef("ghcr.io/telepace/voiceflow", "latest"),
			Ports:       []pc.Port{{Name: "http", Port: 18080}},
			Probes:      pc.Probes{TCP: true, Port: "ws"},
			Resources:   resources("100m", "256Mi", "1", "128Mi"),
		})
	})
	fmt.Println(err)
	// Output:
	// validation failed:
	//   [test/voiceflow] image: tag "latest" is floating; prod needs a release tag (vX.Y.Z) or a digest
	//   [test/voiceflow] probes.port: port "ws" is not declared in ports
	//   [test/voiceflow] resources.limits.memory: 128Mi is below the request 256Mi
}

// Any typed Kubernetes object, including upstream custom resources, joins
// the construct tree through NewTypedObject.
func ExampleNewTypedObject() {
	app := cdk8s.NewApp(nil)
	chart := cdk8s.NewChart(app, jsii.String("example"), nil)
	pc.NewTypedObject(chart, "quota", &corev1.ResourceQuota{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ResourceQuota"},
		ObjectMeta: metav1.ObjectMeta{Name: "telepace"},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{
			corev1.ResourcePods: resource.MustParse("20"),
		}},
	})
	fmt.Print(*app.SynthYaml())
	// Output:
	// apiVersion: v1
	// kind: ResourceQuota
	// metadata:
	//   name: telepace
	// spec:
	//   hard:
	//     pods: "20"
}

// An App whose kernel starts while its charts are built: nothing reaches
// the kernel until the App is needed, then everything does, in the order
// it was built.
func ExampleStartApp() {
	app := pc.StartApp(nil)
	for _, env := range []string{"dev", "prod"} {
		chart := pc.NewChart(app, env, &cdk8s.ChartProps{
			DisableResourceNameHashes: jsii.Bool(true),
			Namespace:                 jsii.String("telepace-" + env),
		})
		pc.NewTypedObject(chart, "settings", &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "settings"},
			Data:       map[string]string{"environment": env},
		})
	}
	fmt.Print(*app.Kernel().SynthYaml())
	// Output:
	// apiVersion: v1
	// kind: ConfigMap
	// metadata:
	//   name: settings
	//   namespace: telepace-dev
	// data:
	//   environment: dev
	// ---
	// apiVersion: v1
	// kind: ConfigMap
	// metadata:
	//   name: settings
	//   namespace: telepace-prod
	// data:
	//   environment: prod
}
