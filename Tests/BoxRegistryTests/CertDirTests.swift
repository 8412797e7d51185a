import BoxCore
@testable import BoxRegistry
import BoxTestSupport
import Testing

@Suite struct CertDirTests {
    /// A cert dir with two CAs, a client pair, a lone `.cert` and an unrelated file.
    private func makeCertDir(_ dir: String) throws {
        try Files.mkdirAll(dir)
        try Files.write(dir + "/b-ca.crt", Array("-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n".utf8))
        try Files.write(dir + "/a-ca.crt", Array("-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n".utf8))
        try Files.write(dir + "/0-lonely.cert", Array("no key".utf8))
        try Files.write(dir + "/client.cert", Array("cert".utf8))
        try Files.write(dir + "/client.key", Array("key".utf8))
        try Files.write(dir + "/README", Array("ignored".utf8))
    }

    @Test func explicitCertDir() throws {
        let dir = TestSupport.tempDir("box-certs")
        defer { TestSupport.removeTree(dir) }
        try makeCertDir(dir)
        let o = CertDir.transportOptions(for: "reg.io:5000", certDir: dir, tlsVerify: nil, environment: [:], isRoot: false)
        #expect(o.verifyTLS)
        #expect(o.extraCAs == ["-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n",
                               "-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n"])
        #expect(o.clientCert == dir + "/client.cert")
        #expect(o.clientKey == dir + "/client.key")
    }

    @Test(arguments: [(nil, true), (true, true), (false, false)] as [(Bool?, Bool)])
    func tlsVerify(flag: Bool?, verify: Bool) {
        let o = CertDir.transportOptions(for: "nowhere.invalid", certDir: "/nonexistent", tlsVerify: flag,
                                         environment: [:], isRoot: false)
        #expect(o.verifyTLS == verify)
        #expect(o.extraCAs.isEmpty && o.clientCert == nil && o.clientKey == nil)
    }

    @Test func perHostDirectoryUnderHome() throws {
        let home = TestSupport.tempDir("box-certs")
        defer { TestSupport.removeTree(home) }
        let host = "box-cert-test.invalid:5000"
        let dir = "\(home)/.config/containers/certs.d/\(host)"
        try makeCertDir(dir)
        #expect(CertDir.searchRoots(environment: ["HOME": home], isRoot: false)
            == ["\(home)/.config/containers/certs.d", "/etc/containers/certs.d", "/etc/docker/certs.d"])
        #expect(CertDir.directory(for: host, environment: ["HOME": home], isRoot: false) == dir)
        let o = CertDir.transportOptions(for: host, certDir: nil, tlsVerify: nil, environment: ["HOME": home], isRoot: false)
        #expect(o.extraCAs.count == 2)
        #expect(o.clientCert == dir + "/client.cert")

        // root reads only the system directories
        #expect(CertDir.searchRoots(environment: ["HOME": home], isRoot: true) == ["/etc/containers/certs.d", "/etc/docker/certs.d"])
        #expect(CertDir.directory(for: host, environment: ["HOME": home], isRoot: true) == nil)
        #expect(CertDir.directory(for: "other.invalid", environment: ["HOME": home], isRoot: false) == nil)
    }
}
