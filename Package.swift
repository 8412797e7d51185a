// swift-tools-version:6.0
import PackageDescription

/// box: a daemonless container tool. Each library is a small module; each depends only on those listed before it.
let strict: [SwiftSetting] = [.unsafeFlags(["-warnings-as-errors"])]
/// A minimal static libcurl, built from Debian's source by `scripts/build-curl.sh` (run by `make deps`).
let curl = Context.packageDirectory + "/.deps/curl"

let package = Package(
    name: "box",
    products: [.executable(name: "box", targets: ["box"])],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries, found through pkg-config, installed by `make deps`.
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CCap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        // What must not be Swift: the clone3 child from fork to execve, and constants Glibc leaves out.
        .target(name: "CBox", dependencies: ["CCap"]),
        // The registry client's HTTP: libcurl's easy interface behind one C call.
        .target(name: "CCurl", cSettings: [.unsafeFlags(["-I\(curl)/include"])],
                linkerSettings: [.unsafeFlags(["-L\(curl)/lib"]), .linkedLibrary("curl"), .linkedLibrary("ssl"),
                                 .linkedLibrary("crypto"), .linkedLibrary("z")]),

        .target(name: "BoxCore", dependencies: ["CBox"], swiftSettings: strict),
        .target(name: "BoxOS", dependencies: ["BoxCore", "CBox", "CCap"], swiftSettings: strict),
        .target(name: "BoxOCI", dependencies: ["BoxCore", "CCrypto"], swiftSettings: strict),
        .target(name: "BoxFormat", swiftSettings: strict),
        .target(name: "BoxRegistry", dependencies: ["BoxCore", "BoxOS", "BoxOCI", "CCurl"], swiftSettings: strict),
        .target(name: "BoxImage", dependencies: ["BoxCore", "BoxOS", "BoxOCI", "BoxRegistry", "CArchive"],
                swiftSettings: strict),
        .target(name: "BoxSeccomp", dependencies: ["BoxCore", "BoxOCI", "CSeccomp"], swiftSettings: strict),
        .target(name: "BoxCgroups", dependencies: ["BoxCore", "BoxOCI"], swiftSettings: strict),
        .target(name: "BoxVolume", dependencies: ["BoxCore", "BoxOS"], swiftSettings: strict),
        .target(name: "BoxRuntime",
                dependencies: ["BoxCore", "BoxOS", "BoxOCI", "BoxImage", "BoxCgroups", "BoxVolume", "BoxSeccomp", "CBox",
                               "CCap"],
                swiftSettings: strict),
        .target(name: "BoxBuild",
                dependencies: ["BoxCore", "BoxOS", "BoxOCI", "BoxImage", "BoxRegistry", "BoxCgroups", "BoxRuntime", "CBox"],
                swiftSettings: strict),
        .executableTarget(name: "box",
                          dependencies: ["BoxCore", "BoxOS", "BoxOCI", "BoxFormat", "BoxImage", "BoxRegistry",
                                         "BoxRuntime", "BoxVolume", "BoxBuild", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: strict),

        .target(name: "BoxTestSupport", dependencies: ["BoxCore"], path: "Tests/BoxTestSupport"),
        .testTarget(name: "BoxCoreTests", dependencies: ["BoxCore", "BoxTestSupport"]),
        .testTarget(name: "BoxOCITests", dependencies: ["BoxOCI", "BoxTestSupport"]),
        .testTarget(name: "BoxFormatTests", dependencies: ["BoxFormat"]),
        .testTarget(name: "BoxRegistryTests", dependencies: ["BoxRegistry", "BoxOCI", "BoxTestSupport"]),
        .testTarget(name: "BoxImageTests", dependencies: ["BoxImage", "BoxOCI", "BoxTestSupport", "CArchive"]),
        .testTarget(name: "BoxCgroupsTests", dependencies: ["BoxCgroups", "BoxOCI", "BoxTestSupport"]),
        .testTarget(name: "BoxSeccompTests", dependencies: ["BoxSeccomp", "BoxOCI", "CSeccomp"]),
        .testTarget(name: "BoxVolumeTests", dependencies: ["BoxVolume", "BoxOS", "BoxTestSupport"]),
        .testTarget(name: "BoxRuntimeTests", dependencies: ["BoxRuntime", "BoxOCI", "BoxOS", "BoxTestSupport"]),
        .testTarget(name: "BoxBuildTests", dependencies: ["BoxBuild", "BoxTestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: ["BoxTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
