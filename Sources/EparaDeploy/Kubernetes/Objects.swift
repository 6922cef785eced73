/// The Kubernetes objects epara writes, as typed values: only the fields it sets, named and
/// nested as the API's OpenAPI schema has them (the manifests are validated against it, strict,
/// in the tests). They are written with sorted keys, as `kubectl get -o yaml` writes them, so
/// the same plan always gives the same bytes.
public struct ObjectMeta: Codable, Hashable, Sendable {
    public var name: String
    public var namespace: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
}

public struct LabelSelector: Codable, Hashable, Sendable {
    public var matchLabels: [String: String]
}

public struct KeyToPath: Codable, Hashable, Sendable {
    public var key: String
    public var path: String
}

public struct Volume: Codable, Hashable, Sendable {
    public struct ConfigMapSource: Codable, Hashable, Sendable {
        public var name: String
    }
    public struct SecretSource: Codable, Hashable, Sendable {
        public var secretName: String
        public var items: [KeyToPath]?
        /// Owner and group only: the gateway's user reads the tokens through the pod's fsGroup.
        public var defaultMode: Int?
    }
    public struct EmptyDirSource: Codable, Hashable, Sendable {}

    public var name: String
    public var configMap: ConfigMapSource?
    public var secret: SecretSource?
    public var emptyDir: EmptyDirSource?
}

public struct VolumeMount: Codable, Hashable, Sendable {
    public var name: String
    public var mountPath: String
    public var readOnly: Bool?
}

public struct ContainerPort: Codable, Hashable, Sendable {
    public var name: String
    public var containerPort: Int
    public var hostPort: Int?
    public var `protocol`: String = "TCP"
}

public struct EnvVar: Codable, Hashable, Sendable {
    public var name: String
    public var value: String
}

public struct Probe: Codable, Hashable, Sendable {
    public struct HTTPGet: Codable, Hashable, Sendable {
        public var path: String
        public var port: String
        /// `HTTPS` for a listener that speaks only TLS (kubelet then skips verifying it); nil: HTTP.
        public var scheme: String? = nil
    }
    public struct TCPSocket: Codable, Hashable, Sendable {
        public var port: String
    }

    public var httpGet: HTTPGet?
    public var tcpSocket: TCPSocket?
    public var initialDelaySeconds: Int?
    public var periodSeconds: Int
    public var timeoutSeconds: Int?
    public var failureThreshold: Int
}

public struct ResourceRequirements: Codable, Hashable, Sendable {
    public var requests: [String: String]
    public var limits: [String: String]?
}

/// A container's privileges: none it does not need.
public struct SecurityContext: Codable, Hashable, Sendable {
    public struct Capabilities: Codable, Hashable, Sendable {
        public var drop: [String]
    }

    public var allowPrivilegeEscalation: Bool
    public var readOnlyRootFilesystem: Bool
    public var capabilities: Capabilities

    /// No escalation, a read-only root file system, every capability dropped.
    public static let locked = SecurityContext(
        allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: Capabilities(drop: ["ALL"]))
}

/// Which user a pod's containers run as, and the group its volumes' files belong to.
public struct PodSecurityContext: Codable, Hashable, Sendable {
    public var runAsNonRoot: Bool
    public var runAsUser: Int
    public var runAsGroup: Int
    public var fsGroup: Int

    /// An unprivileged user (65532, distroless' `nonroot`), which reads the mounted tokens
    /// through the volume's group.
    public static let nonRoot = PodSecurityContext(runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532)
}

public struct Container: Codable, Hashable, Sendable {
    public var name: String
    public var image: String
    public var command: [String]?
    public var args: [String]?
    public var env: [EnvVar]?
    public var ports: [ContainerPort]?
    public var resources: ResourceRequirements?
    public var volumeMounts: [VolumeMount]?
    public var livenessProbe: Probe?
    public var readinessProbe: Probe?
    public var securityContext: SecurityContext?
}

public struct Toleration: Codable, Hashable, Sendable {
    public var key: String
    public var `operator`: String
    public var effect: String
}

public struct PodSpec: Codable, Hashable, Sendable {
    public var serviceAccountName: String?
    public var restartPolicy: String?
    public var nodeSelector: [String: String]?
    public var tolerations: [Toleration]?
    public var terminationGracePeriodSeconds: Int?
    public var securityContext: PodSecurityContext?
    public var initContainers: [Container]?
    public var containers: [Container]
    public var volumes: [Volume]?
}

public struct PodTemplate: Codable, Hashable, Sendable {
    public var metadata: ObjectMeta.Template
    public var spec: PodSpec
}

extension ObjectMeta {
    /// A pod template's metadata: labels and annotations, no name.
    public struct Template: Codable, Hashable, Sendable {
        public var labels: [String: String]
        public var annotations: [String: String]?
    }
}

public struct DeploymentSpec: Codable, Hashable, Sendable {
    public struct Strategy: Codable, Hashable, Sendable {
        public var type: String
    }

    public var replicas: Int
    public var selector: LabelSelector
    /// Recreate: a node's one gateway (or one instance's server on its GPUs) is replaced, never
    /// run twice side by side on the same devices and host port.
    public var strategy: Strategy
    public var template: PodTemplate
}

public struct ServicePort: Codable, Hashable, Sendable {
    public var name: String
    public var port: Int
    public var targetPort: String
    public var `protocol`: String = "TCP"
}

public struct ServiceSpec: Codable, Hashable, Sendable {
    public var type: String? = "ClusterIP"
    /// `None`: headless, a DNS name for the pods themselves.
    public var clusterIP: String?
    public var publishNotReadyAddresses: Bool?
    public var selector: [String: String]
    public var ports: [ServicePort]?
}

public struct PolicyRule: Codable, Hashable, Sendable {
    public var apiGroups: [String]
    public var resources: [String]
    public var resourceNames: [String]?
    public var verbs: [String]
}

public struct RoleRef: Codable, Hashable, Sendable {
    public var apiGroup = "rbac.authorization.k8s.io"
    public var kind = "Role"
    public var name: String
}

public struct Subject: Codable, Hashable, Sendable {
    public var kind = "ServiceAccount"
    public var name: String
    public var namespace: String
}

public struct JobSpec: Codable, Hashable, Sendable {
    public var backoffLimit: Int
    public var activeDeadlineSeconds: Int
    public var template: PodTemplate
}

public struct CronJobSpec: Codable, Hashable, Sendable {
    public struct JobTemplate: Codable, Hashable, Sendable {
        public var spec: JobSpec
    }

    public var schedule: String
    /// One replanning at a time: a slow one is not overtaken by the next.
    public var concurrencyPolicy = "Forbid"
    public var successfulJobsHistoryLimit = 3
    public var failedJobsHistoryLimit = 3
    public var jobTemplate: JobTemplate
}

/// One manifest: every kind epara writes, with the fields of each.
public struct KubeObject: Codable, Hashable, Sendable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var type: String?
    public var data: [String: String]?
    public var stringData: [String: String]?
    public var spec: Spec?
    public var rules: [PolicyRule]?
    public var roleRef: RoleRef?
    public var subjects: [Subject]?

    /// The spec of the kinds that have one.
    public enum Spec: Codable, Hashable, Sendable {
        case deployment(DeploymentSpec)
        case service(ServiceSpec)
        case cronJob(CronJobSpec)

        public func encode(to encoder: any Encoder) throws {
            switch self {
            case let .deployment(spec): try spec.encode(to: encoder)
            case let .service(spec): try spec.encode(to: encoder)
            case let .cronJob(spec): try spec.encode(to: encoder)
            }
        }

        public init(from decoder: any Decoder) throws {
            if let spec = try? DeploymentSpec(from: decoder) {
                self = .deployment(spec)
            } else if let spec = try? CronJobSpec(from: decoder) {
                self = .cronJob(spec)
            } else {
                self = .service(try ServiceSpec(from: decoder))
            }
        }
    }

    public init(
        apiVersion: String, kind: String, metadata: ObjectMeta, type: String? = nil, data: [String: String]? = nil,
        stringData: [String: String]? = nil, spec: Spec? = nil, rules: [PolicyRule]? = nil, roleRef: RoleRef? = nil,
        subjects: [Subject]? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.type = type
        self.data = data
        self.stringData = stringData
        self.spec = spec
        self.rules = rules
        self.roleRef = roleRef
        self.subjects = subjects
    }
}
