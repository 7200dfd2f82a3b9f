# The cluster of multinetwork_test.sh as its API server returns it: one
# "<collection> <object JSON>" line per object, for meshgate-test-apiserver.
# Fields as the API server and its controllers write them (metadata.uid,
# creationTimestamp, the EndpointSlice controller's labels, conditions);
# fields meshgate never reads are left out. Sourced; uses port_of,
# $cluster_ip, $cluster_ip_v2 and $vm2_ip of the test.

mn_meta() {  # mn_meta NAMESPACE NAME [LABELS_JSON]
  local labels=${3:-'{}'}
  printf '"metadata":{"name":"%s","namespace":"%s","uid":"%s","creationTimestamp":"2026-11-01T10:00:00Z","labels":%s}' \
    "$2" "$1" "$(printf '%s/%s' "$1" "$2" | md5sum | cut -c1-32)" "$labels"
}

mn_namespace() {  # mn_namespace NAME [NETWORK]
  local labels='{"kubernetes.io/metadata.name":"'$1'"}'
  [ -n "${2:-}" ] && labels='{"kubernetes.io/metadata.name":"'$1'","topology.istio.io/network":"'$2'"}'
  printf '/api/v1/namespaces {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"%s","uid":"ns-%s","creationTimestamp":"2026-11-01T10:00:00Z","labels":%s}}\n' \
    "$1" "$1" "$labels"
}

mn_service() {  # mn_service NAMESPACE NAME APP PORT_NAME PORT CLUSTER_IP
  printf '/api/v1/services {"apiVersion":"v1","kind":"Service",%s,"spec":{"type":"ClusterIP","clusterIP":"%s","selector":{"app":"%s"},"ports":[{"name":"%s","port":%s,"targetPort":"%s","protocol":"TCP"}]}}\n' \
    "$(mn_meta "$1" "$2" '{"app":"'"$3"'"}')" "$6" "$3" "$4" "$5" "$4"
}

mn_pod() {  # mn_pod NAMESPACE NAME IP LABELS_JSON
  printf '/api/v1/pods {"apiVersion":"v1","kind":"Pod",%s,"spec":{"nodeName":"node-1","containers":[{"name":"app","image":"demo"}]},"status":{"phase":"Running","podIP":"%s","podIPs":[{"ip":"%s"}],"conditions":[{"type":"Ready","status":"True"}]}}\n' \
    "$(mn_meta "$1" "$2" "$4")" "$3" "$3"
}

mn_slice() {  # mn_slice NAMESPACE NAME SERVICE IP POD PORT_NAME PORT
  local labels='{"kubernetes.io/service-name":"'$3'","endpointslice.kubernetes.io/managed-by":"endpointslice-controller.k8s.io"}'
  printf '/apis/discovery.k8s.io/v1/endpointslices {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",%s,"addressType":"IPv4","endpoints":[{"addresses":["%s"],"conditions":{"ready":true,"serving":true,"terminating":false},"nodeName":"node-1","targetRef":{"kind":"Pod","namespace":"%s","name":"%s"}}],"ports":[{"name":"%s","port":%s,"protocol":"TCP"}]}\n' \
    "$(mn_meta "$1" "$2" "$labels")" "$4" "$1" "$5" "$6" "$7"
}

mn_istio() {  # mn_istio PLURAL KIND NAMESPACE NAME SPEC_JSON
  printf '/apis/networking.istio.io/v1beta1/%s {"apiVersion":"networking.istio.io/v1beta1","kind":"%s",%s,"spec":%s}\n' \
    "$1" "$2" "$(mn_meta "$3" "$4")" "$5"
}

cluster_objects() {
  local sidecar='"security.istio.io/tlsMode":"istio"'
  mn_namespace istio-system cluster-net
  mn_namespace bar
  mn_namespace default
  # httpbin: two pods with sidecars, one EndpointSlice each (their ports differ).
  mn_service bar httpbin httpbin tls 8000 10.96.0.20
  mn_pod bar httpbin-v1-5d7f9c-abcde "$cluster_ip" '{"app":"httpbin","version":"v1",'"$sidecar"'}'
  mn_pod bar httpbin-v2-6c8e1d-fghij "$cluster_ip_v2" '{"app":"httpbin","version":"v2",'"$sidecar"'}'
  mn_slice bar httpbin-b7x2k httpbin "$cluster_ip" httpbin-v1-5d7f9c-abcde tls "$(port_of httpbin-v1)"
  mn_slice bar httpbin-q9z4m httpbin "$cluster_ip_v2" httpbin-v2-6c8e1d-fghij tls \
    "$(port_of httpbin-v2)"
  mn_istio destinationrules DestinationRule bar httpbin \
    '{"host":"httpbin","subsets":[{"name":"v1","labels":{"version":"v1"}},{"name":"v2","labels":{"version":"v2"}}]}'
  mn_istio serviceentries ServiceEntry bar httpbin-global \
    '{"hosts":["httpbin.bar.global"],"addresses":["240.240.0.1"],"ports":[{"number":8000,"name":"tls","protocol":"TLS"}],"location":"MESH_INTERNAL","resolution":"STATIC"}'
  # istiod: no sidecar; its pod's network is its namespace's label.
  mn_service istio-system istiod istiod grpc-xds 15012 10.96.0.10
  mn_pod istio-system istiod-7f8d9c-klmno "$cluster_ip" '{"app":"istiod"}'
  mn_slice istio-system istiod-w5r8t istiod "$cluster_ip" istiod-7f8d9c-klmno grpc-xds 15012
  # reviews: no pod; a VM that joined from a WorkloadGroup, as istiod's
  # auto-registration writes its WorkloadEntry (no tlsMode label).
  mn_service default reviews reviews http 9080 10.96.0.30
  mn_istio workloadentries WorkloadEntry default reviews-10.210.2.4 \
    '{"address":"'"$vm2_ip"'","labels":{"app":"reviews","version":"v1"},"serviceAccount":"reviews","network":"cluster-net","ports":{"http":'"$(port_of reviews-v1)"'}}'
}
