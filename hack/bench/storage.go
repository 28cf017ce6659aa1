package main

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// seedStorage creates a CSI driver registered on every node (a CSINode each), its default
// class and its controller pod, and volumes claims, each bound to its own volume and attached
// (a VolumeAttachment) to a node: a healthy cluster, whose storage checks must still read and
// index everything.
func seedStorage(ctx context.Context, cs kubernetes.Interface, nodes, volumes int) error {
	const driver = "csi.example.com"
	class := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "fast",
		Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}}, Provisioner: driver}
	if _, err := cs.StorageV1().StorageClasses().Create(ctx, class, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating the class: %w", err)
	}
	if _, err := cs.StorageV1().CSIDrivers().Create(ctx, &storagev1.CSIDriver{ObjectMeta: metav1.ObjectMeta{Name: driver}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating the CSIDriver: %w", err)
	}
	controller := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "csi-controller-0"},
		Spec: corev1.PodSpec{NodeName: "node-00000", Containers: []corev1.Container{{Name: "plugin", Image: "registry.example/csi:1.0", Args: []string{"--drivername=" + driver}}}}}
	created, err := cs.CoreV1().Pods("kube-system").Create(ctx, controller, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating the controller pod: %w", err)
	}
	created.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "plugin", Ready: true, Image: "registry.example/csi:1.0",
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}
	if _, err := cs.CoreV1().Pods("kube-system").UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return err
	}
	return parallel(nodes+volumes, 48, func(i int) error {
		if i < nodes {
			name := fmt.Sprintf("node-%05d", i)
			_, err := cs.StorageV1().CSINodes().Create(ctx, &storagev1.CSINode{ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: storagev1.CSINodeSpec{Drivers: []storagev1.CSINodeDriver{{Name: driver, NodeID: name}}}}, metav1.CreateOptions{})
			return err
		}
		i -= nodes
		return seedVolume(ctx, cs, driver, fmt.Sprintf("bench-%02d", i%50), fmt.Sprintf("data-%06d", i), fmt.Sprintf("node-%05d", i%max(nodes, 1)))
	})
}

// seedVolume creates a bound claim and volume and the volume's attachment to node.
func seedVolume(ctx context.Context, cs kubernetes.Interface, driver, ns, name, node string) error {
	pvName := "pvc-" + ns + "-" + name
	size := corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}
	pv, err := cs.CoreV1().PersistentVolumes().Create(ctx, &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: pvName},
		Spec: corev1.PersistentVolumeSpec{StorageClassName: "fast", Capacity: size, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			ClaimRef:               &corev1.ObjectReference{Namespace: ns, Name: name},
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: driver, VolumeHandle: pvName}}}}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	pv.Status.Phase = corev1.VolumeBound
	if _, err := cs.CoreV1().PersistentVolumes().UpdateStatus(ctx, pv, metav1.UpdateOptions{}); err != nil {
		return err
	}
	class := "fast"
	pvc, err := cs.CoreV1().PersistentVolumeClaims(ns).Create(ctx, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &class, VolumeName: pvName, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: size}}}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	pvc.Status = corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound, Capacity: size, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}}
	if _, err := cs.CoreV1().PersistentVolumeClaims(ns).UpdateStatus(ctx, pvc, metav1.UpdateOptions{}); err != nil {
		return err
	}
	va, err := cs.StorageV1().VolumeAttachments().Create(ctx, &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: "csi-" + pvName},
		Spec: storagev1.VolumeAttachmentSpec{Attacher: driver, NodeName: node, Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pvName}}}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	va.Status.Attached = true
	_, err = cs.StorageV1().VolumeAttachments().UpdateStatus(ctx, va, metav1.UpdateOptions{})
	return err
}
