package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

const (
	// StorageClassName is the cluster's default StorageClass: a claim that
	// names no class gets it, and the stand-in provisioner binds it.
	StorageClassName = "e2e-standin"
	// Provisioner is StorageClassName's provisioner, the stand-in's name.
	Provisioner = "telepace.test/e2e"
	// provisionedBy is the annotation a provisioner sets on the volumes it
	// makes (as external provisioners do); the stand-in deletes only
	// volumes carrying it with Provisioner's name.
	provisionedBy = "pv.kubernetes.io/provisioned-by"
	// provisionEvery is how often the stand-in looks for claims and
	// released volumes.
	provisionEvery = 200 * time.Millisecond
)

// startProvisioner creates the default StorageClass and starts the
// stand-in provisioner, a goroutine Stop ends.
//
// It is a stand-in, not storage: kwok plays the kubelet and never mounts a
// volume, and no real provisioner runs here, so without it a claim (a
// StatefulSet's volumeClaimTemplates) stays Pending and its pods
// unschedulable. Like an external provisioner it creates, for every
// Pending claim of StorageClassName, a PersistentVolume pre-bound to the
// claim (claimRef with its UID) with the claim's request as capacity, its
// access modes, volume mode and class, reclaim policy Delete and a hostPath
// under the cluster's directory (volumes/<pv>; created, never used); the
// controller manager's volume binder binds the two. When a claim is deleted
// and its volume Released, it deletes the volume and the directory.
func (c *Cluster) startProvisioner(ctx context.Context) error {
	sc := &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{
			Name:        StorageClassName,
			Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"},
		},
		Provisioner:       Provisioner,
		ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingImmediate),
	}
	if _, err := c.Client.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{FieldManager: fieldManager}); err != nil {
		return fmt.Errorf("create StorageClass %s: %w", StorageClassName, err)
	}
	volumes := filepath.Join(c.Dir, "volumes")
	if err := os.MkdirAll(volumes, 0o700); err != nil {
		return err
	}
	pctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c.stopProvisioner = func() { cancel(); <-done }
	go func() {
		defer close(done)
		tick := time.NewTicker(provisionEvery)
		defer tick.Stop()
		var lastErr string
		for {
			msg := ""
			if err := c.provisionOnce(pctx, volumes); err != nil && pctx.Err() == nil {
				msg = err.Error()
			}
			if msg != "" && msg != lastErr {
				c.opts.Logf("e2e cluster: stand-in provisioner: %s", msg)
			}
			lastErr = msg
			select {
			case <-pctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return nil
}

// provisionOnce makes a volume for every Pending claim of StorageClassName
// that has none, and deletes every Released volume the stand-in made.
func (c *Cluster) provisionOnce(ctx context.Context, volumes string) error {
	claims, err := c.Client.CoreV1().PersistentVolumeClaims(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, pvc := range claims.Items {
		if pvc.Status.Phase != corev1.ClaimPending || pvc.Spec.VolumeName != "" || ptr.Deref(pvc.Spec.StorageClassName, "") != StorageClassName || pvc.DeletionTimestamp != nil {
			continue
		}
		name := "pvc-" + string(pvc.UID)
		path := filepath.Join(volumes, name)
		if err := os.MkdirAll(path, 0o700); err != nil {
			return err
		}
		pv := &corev1.PersistentVolume{
			ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{provisionedBy: Provisioner}},
			Spec: corev1.PersistentVolumeSpec{
				Capacity:                      corev1.ResourceList{corev1.ResourceStorage: pvc.Spec.Resources.Requests[corev1.ResourceStorage]},
				AccessModes:                   pvc.Spec.AccessModes,
				VolumeMode:                    pvc.Spec.VolumeMode,
				StorageClassName:              StorageClassName,
				PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
				PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path}},
				ClaimRef: &corev1.ObjectReference{
					APIVersion: "v1", Kind: "PersistentVolumeClaim",
					Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID, ResourceVersion: pvc.ResourceVersion,
				},
			},
		}
		if _, err := c.Client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{FieldManager: fieldManager}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("claim %s/%s: create PersistentVolume %s: %w", pvc.Namespace, pvc.Name, name, err)
		}
	}
	pvs, err := c.Client.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, pv := range pvs.Items {
		if pv.Annotations[provisionedBy] != Provisioner || pv.Status.Phase != corev1.VolumeReleased || pv.DeletionTimestamp != nil {
			continue
		}
		if err := c.Client.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete Released PersistentVolume %s: %w", pv.Name, err)
		}
		if err := os.RemoveAll(filepath.Join(volumes, pv.Name)); err != nil {
			return err
		}
	}
	return nil
}
