import BoxCore
import BoxFormat
import BoxRuntime

/// A container as `box ps` shows it: Docker's fields for `--format`.
struct PsRow: Encodable {
    var ID: String
    var Image: String
    var Command: String
    var CreatedAt: String
    var RunningFor: String
    var Ports: String
    var Status: String
    var State: String
    var Names: String
    var Labels: String
    var Mounts: String
    var Networks: String
    var Size: String

    init(_ r: ContainerRecord, truncate: Bool) {
        ID = truncate ? r.shortID : r.id
        Image = r.image
        var cmd = r.spec.process.args.joined(separator: " ")
        if truncate && cmd.count > 20 { cmd = String(cmd.prefix(19)) + "…" }
        Command = "\"\(cmd)\""
        CreatedAt = Humanize.dockerTime(r.created)
        RunningFor = Humanize.ago(r.created)
        Ports = ""
        switch r.state.status {
        case .created: Status = "Created"
        case .running, .paused:
            Status = "Up " + Humanize.duration(Time.nowSeconds() - (r.state.startedAt.flatMap(Time.parse) ?? Time.nowSeconds()))
            if r.state.status == .paused {
                Status += " (Paused)"
            } else if let h = r.state.health {
                Status += h.status == "starting" ? " (health: starting)" : " (\(h.status))"
            }
        case .restarting: Status = "Restarting (\(r.state.exitCode)) " + Humanize.ago(r.state.finishedAt)
        case .exited: Status = "Exited (\(r.state.exitCode)) " + Humanize.ago(r.state.finishedAt)
        }
        State = r.state.status.rawValue
        Names = r.name
        Labels = r.settings.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        Mounts = MountView.psMounts(r.settings, truncate: truncate)
        Networks = r.settings.networkMode
        Size = "0B"
    }

    static let table = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
    static let headers = ["ID": "CONTAINER ID", "RunningFor": "CREATED", "CreatedAt": "CREATED AT"]
}

/// A container as `box inspect` shows it: Docker's JSON shape.
struct ContainerInspect: Encodable {
    struct StateInfo: Encodable {
        var Status: String
        var Running: Bool
        var Paused = false
        var Restarting = false
        var OOMKilled = false
        var Dead = false
        var Pid: Int32
        var ExitCode: Int32
        var Error: String
        var StartedAt: String
        var FinishedAt: String
        var Health: HealthInfo?
        /// The container's monitor (podman calls it `ConmonPid`); 0 in the foreground or when exited.
        var MonitorPid: Int32
    }

    struct HealthInfo: Encodable {
        struct Result: Encodable {
            var Start: String
            var End: String
            var ExitCode: Int32
            var Output: String
        }

        var Status: String
        var FailingStreak: Int
        var Log: [Result]
    }

    struct HealthcheckInfo: Encodable {
        var Test: [String]
        var Interval: Int64
        var Timeout: Int64
        var StartPeriod: Int64
        var Retries: Int
    }

    struct RestartPolicyInfo: Encodable {
        var Name: String
        var MaximumRetryCount: Int
    }

    struct LogConfigInfo: Encodable {
        var `Type`: String
        var Config: [String: String]
    }

    struct ConfigInfo: Encodable {
        var Hostname: String
        var Domainname = ""
        var User: String
        var AttachStdin: Bool
        var AttachStdout = true
        var AttachStderr = true
        var Tty = false
        var OpenStdin: Bool
        var StdinOnce: Bool
        var Env: [String]
        var Cmd: [String]?
        var Image: String
        var Volumes: [String: [String: String]]?
        var WorkingDir: String
        var Entrypoint: [String]?
        var Labels: [String: String]
        var StopSignal: String?
        var StopTimeout: Int?
        var Healthcheck: HealthcheckInfo?
    }

    /// Docker's `HostConfig`: one flat object, encoded from the general part and the resource, security and
    /// isolation parts, each kept beside the flags it reports (`ResourceView`, `SecurityView`, `IsolationView`).
    struct HostConfigInfo: Encodable {
        var general: GeneralHostConfig
        var resources: ResourceHostConfig
        var security: SecurityHostConfig
        var isolation: IsolationHostConfig

        func encode(to encoder: any Encoder) throws {
            try general.encode(to: encoder)
            try resources.encode(to: encoder)
            try security.encode(to: encoder)
            try isolation.encode(to: encoder)
        }
    }

    struct GeneralHostConfig: Encodable {
        var Binds: [String]?
        var Mounts: [MountView.HostMount]?
        var NetworkMode: String
        var AutoRemove: Bool
        var ReadonlyRootfs: Bool
        var Tmpfs: [String: String]?
        var RestartPolicy: RestartPolicyInfo
        var LogConfig: LogConfigInfo
        var Init: Bool
    }

    struct GraphDriverInfo: Encodable {
        var Data: [String: String]
        var Name = "overlay"
    }

    var Id: String
    var Created: String
    var Path: String
    var Args: [String]
    var State: StateInfo
    var Image: String
    var ResolvConfPath: String
    var HostnamePath: String
    var LogPath: String
    var RestartCount: Int
    var HostsPath: String
    var Name: String
    var Driver = "overlay"
    var Platform = "linux"
    var HostConfig: HostConfigInfo
    var GraphDriver: GraphDriverInfo
    var Mounts: [MountView.Entry]
    var Config: ConfigInfo

    init(_ r: ContainerRecord, paths: BoxPaths) {
        let run = paths.runContainer(r.id)
        let dir = paths.container(r.id)
        Id = r.id
        Created = r.created
        Path = r.spec.process.args.first ?? ""
        Args = Array(r.spec.process.args.dropFirst())
        let s = r.state
        self.State = StateInfo(Status: s.status.rawValue, Running: s.status == .running || s.status == .paused,
                      Paused: s.status == .paused, Restarting: s.status == .restarting, OOMKilled: s.oomKilled,
                      Pid: s.pid, ExitCode: s.exitCode,
                      Error: s.error ?? "", StartedAt: s.startedAt ?? "0001-01-01T00:00:00Z",
                      FinishedAt: s.finishedAt ?? "0001-01-01T00:00:00Z",
                      Health: s.health.map { h in
                          HealthInfo(Status: h.status, FailingStreak: h.failingStreak,
                                     Log: h.log.map { .init(Start: $0.start, End: $0.end, ExitCode: $0.exitCode, Output: $0.output) })
                      },
                      MonitorPid: s.monitorPid)
        LogPath = r.settings.logDriver == "none" ? "" : paths.container(r.id) + "/ctr.log"
        RestartCount = s.restartCount
        Image = r.imageID.description
        ResolvConfPath = run + "/resolv.conf"
        HostnamePath = run + "/hostname"
        HostsPath = run + "/hosts"
        Name = "/" + r.name
        let st = r.settings
        let general = GeneralHostConfig(Binds: MountView.binds(st), Mounts: MountView.hostMounts(st), NetworkMode: st.networkMode, AutoRemove: st.autoRemove,
                           ReadonlyRootfs: st.readOnly, Tmpfs: st.tmpfs.isEmpty ? nil : st.tmpfs,
                           RestartPolicy: RestartPolicyInfo(Name: st.restartPolicy.name, MaximumRetryCount: st.restartPolicy.maximumRetryCount),
                           LogConfig: LogConfigInfo(Type: st.logDriver, Config: st.logOptions), Init: st.initProcess)
        self.HostConfig = HostConfigInfo(general: general, resources: ResourceHostConfig(r), security: SecurityHostConfig(r),
                                         isolation: IsolationHostConfig(r))
        self.GraphDriver = GraphDriverInfo(Data: ["LowerDir": r.lowerDirs.joined(separator: ":"), "UpperDir": dir + "/upper",
                                   "WorkDir": dir + "/work", "MergedDir": dir + "/rootfs"])
        Mounts = MountView.mounts(st, paths: paths)
        self.Config = ConfigInfo(Hostname: r.spec.hostname ?? r.shortID, User: st.user, AttachStdin: st.interactive,
                       OpenStdin: st.interactive, StdinOnce: st.interactive, Env: r.spec.process.env, Cmd: st.cmd,
                       Image: r.image, Volumes: MountView.configVolumes(st), WorkingDir: st.workingDir, Entrypoint: st.entrypoint, Labels: st.labels,
                       StopSignal: st.stopSignal, StopTimeout: st.stopTimeout,
                       Healthcheck: st.healthcheck.map {
                           HealthcheckInfo(Test: $0.test, Interval: $0.interval, Timeout: $0.timeout, StartPeriod: $0.startPeriod, Retries: $0.retries)
                       })
        self.Config.Tty = st.tty
    }
}
