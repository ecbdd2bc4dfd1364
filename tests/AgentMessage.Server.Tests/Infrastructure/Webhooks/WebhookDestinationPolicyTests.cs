using System.Net;
using System.Net.Sockets;
using AgentMessage.Core.Webhooks;
using AgentMessage.Server.Infrastructure.Webhooks;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Tests.Infrastructure.Webhooks;

/// <summary>The creation-time check of an endpoint's URL. Names other than localhost resolve through a
/// resolver the test controls, so no test depends on the machine's DNS.</summary>
public sealed class WebhookDestinationPolicyTests
{
    private const string HttpsRequired = "must be an absolute https URL";
    private const string HttpOrHttpsRequired = "must be an absolute http or https URL";
    private const string Forbidden = "must not resolve to a loopback, private, link-local or unspecified address";
    private const string Credentials = "must not contain a user name or password";

    private static readonly Dictionary<string, IPAddress[]> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["hooks.example.com"] = [IPAddress.Parse("93.184.215.14"), IPAddress.Parse("2606:2800:21f:cb07:6820:80da:af6b:8b2c")],
        ["rebind.example.com"] = [IPAddress.Parse("93.184.215.14"), IPAddress.Parse("127.0.0.1")],
        ["metadata.example.com"] = [IPAddress.Parse("169.254.169.254")],
        ["ula.example.com"] = [IPAddress.Parse("fd12:3456::1")],
        ["xn--bcher-kva.example"] = [IPAddress.Parse("93.184.215.14")],
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("https://hooks.example.com/agentmessage")]
    [InlineData("https://hooks.example.com:8443/a/b?c=d&e=f")]
    [InlineData("HTTPS://HOOKS.EXAMPLE.COM/")]
    [InlineData("https://93.184.215.14/hook")]
    [InlineData("https://[2606:4700:4700::1111]/hook")]
    [InlineData("https://bücher.example/hook")]
    public async Task CheckAsync_PublicHttpsUrl_IsAccepted(string url) =>
        Assert.Null(await Policy().CheckAsync(url, Ct));

    [Theory]
    [InlineData("http://hooks.example.com/")]
    [InlineData("ftp://hooks.example.com/")]
    [InlineData("file:///etc/passwd")]
    [InlineData("/hooks/relative")]
    [InlineData("hooks.example.com/path")]
    [InlineData("https:/hooks.example.com/")]
    [InlineData("https:hooks.example.com")]
    [InlineData("https:///path")]
    [InlineData("")]
    [InlineData("https://hooks.example.com\\@127.0.0.1/")]
    public async Task CheckAsync_NotAnAbsoluteHttpsUrl_IsRefused(string url) =>
        Assert.Equal(HttpsRequired, await Policy().CheckAsync(url, Ct));

    [Theory]
    [InlineData("ftp://hooks.example.com/")]
    [InlineData("ws://hooks.example.com/")]
    [InlineData("/hooks/relative")]
    public async Task CheckAsync_WithoutRequireHttps_OtherSchemesAreStillRefused(string url) =>
        Assert.Equal(HttpOrHttpsRequired, await Policy(requireHttps: false).CheckAsync(url, Ct));

    [Fact]
    public async Task CheckAsync_WithoutRequireHttps_AcceptsHttp() =>
        Assert.Null(await Policy(requireHttps: false).CheckAsync("http://hooks.example.com/hook", Ct));

    [Theory]
    [InlineData("https://user:password@hooks.example.com/")]
    [InlineData("https://user@hooks.example.com/")]
    [InlineData("https://:password@hooks.example.com/")]
    [InlineData("https://@hooks.example.com/")]
    public async Task CheckAsync_UserInfo_IsRefused(string url) =>
        Assert.Equal(Credentials, await Policy().CheckAsync(url, Ct));

    [Theory]
    [InlineData("https://hooks.example.com/#part")]
    [InlineData("https://hooks.example.com/hook#")]
    public async Task CheckAsync_Fragment_IsRefused(string url) =>
        Assert.Equal("must not have a fragment", await Policy().CheckAsync(url, Ct));

    [Theory]
    [InlineData("https://hooks.example.com/a b")]
    [InlineData(" https://hooks.example.com/")]
    [InlineData("https://hooks.example.com/\n")]
    public async Task CheckAsync_SpacesOrControlCharacters_AreRefused(string url) =>
        Assert.Equal("must not contain spaces or control characters", await Policy().CheckAsync(url, Ct));

    [Fact]
    public async Task CheckAsync_LongerThan2048Characters_IsRefused_And2048IsAccepted()
    {
        const string prefix = "https://hooks.example.com/";
        var longest = prefix + new string('a', WebhookDestinationPolicy.MaxUrlLength - prefix.Length);

        Assert.Null(await Policy().CheckAsync(longest, Ct));
        Assert.Equal("must not be longer than 2048 characters", await Policy().CheckAsync(longest + "a", Ct));
    }

    [Theory]
    [InlineData("https://127.0.0.1/")]
    [InlineData("https://127.1.2.3:8443/hook")]
    [InlineData("https://10.1.2.3/")]
    [InlineData("https://172.16.0.1/")]
    [InlineData("https://192.168.1.1/")]
    [InlineData("https://169.254.169.254/latest/meta-data/")]
    [InlineData("https://100.64.0.1/")]
    [InlineData("https://0.0.0.0/")]
    [InlineData("https://[::1]/")]
    [InlineData("https://[::]/")]
    [InlineData("https://[fd00::1]/")]
    [InlineData("https://[fe80::1]/")]
    [InlineData("https://[::ffff:127.0.0.1]/")]
    [InlineData("https://[::ffff:a9fe:a9fe]/")]
    [InlineData("https://[64:ff9b::10.0.0.1]/")]
    [InlineData("https://2130706433/")]     // 127.0.0.1 as one number
    [InlineData("https://0x7f.0.0.1/")]     // and in hexadecimal
    [InlineData("https://0177.0.0.1/")]     // and in octal
    [InlineData("https://127.1/")]          // and shortened
    public async Task CheckAsync_LiteralForbiddenAddress_IsRefused(string url) =>
        Assert.Equal(Forbidden, await Policy().CheckAsync(url, Ct));

    [Theory]
    [InlineData("https://localhost/")]
    [InlineData("https://LOCALHOST:8443/hook")]
    [InlineData("https://metadata.example.com/")]
    [InlineData("https://ula.example.com/")]
    [InlineData("https://rebind.example.com/")] // one public address does not excuse the other
    public async Task CheckAsync_NameResolvingToAForbiddenAddress_IsRefused(string url) =>
        Assert.Equal(Forbidden, await Policy().CheckAsync(url, Ct));

    [Fact]
    public async Task CheckAsync_LocalhostThroughTheSystemResolver_IsRefused()
    {
        var policy = new WebhookDestinationPolicy(Options.Create(new WebhookOptions()));

        Assert.Equal(Forbidden, await policy.CheckAsync("https://localhost/", Ct));
        Assert.Equal(HttpsRequired, await policy.CheckAsync("http://localhost/", Ct));
        // Refused one way or the other, whether or not this machine resolves the absolute name.
        Assert.NotNull(await policy.CheckAsync("https://localhost./", Ct));
    }

    [Fact]
    public async Task CheckAsync_NameThatDoesNotResolve_IsRefused() =>
        Assert.Equal("host name does not resolve", await Policy().CheckAsync("https://nowhere.example.com/", Ct));

    [Fact]
    public async Task CheckAsync_NameWhoseResolutionOutlastsTheTimeout_IsRefusedAsNotResolving()
    {
        var options = new WebhookOptions { Timeout = TimeSpan.FromMilliseconds(50) };
        var policy = new WebhookDestinationPolicy(Options.Create(options), async (_, ct) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return [];
        });

        Assert.Equal("host name does not resolve", await policy.CheckAsync("https://slow.example.com/", Ct));
    }

    [Theory]
    [InlineData("http://localhost/")]
    [InlineData("http://127.0.0.1:8080/hook")]
    [InlineData("https://10.1.2.3/")]
    [InlineData("https://169.254.169.254/")]
    [InlineData("https://100.64.0.1/")]
    [InlineData("https://[::1]/")]
    [InlineData("https://[fd00::1]/")]
    [InlineData("https://rebind.example.com/")]
    public async Task CheckAsync_AllowPrivateNetworks_AcceptsPrivateDestinations(string url) =>
        Assert.Null(await Policy(requireHttps: false, allowPrivateNetworks: true).CheckAsync(url, Ct));

    [Fact]
    public async Task CheckAsync_AllowPrivateNetworks_StillRefusesNamesThatDoNotResolve_AndCredentials()
    {
        var policy = Policy(requireHttps: false, allowPrivateNetworks: true);

        Assert.Equal("host name does not resolve", await policy.CheckAsync("http://nowhere.example.com/", Ct));
        Assert.Equal(Credentials, await policy.CheckAsync("http://user:pw@127.0.0.1/", Ct));
    }

    private static WebhookDestinationPolicy Policy(bool requireHttps = true, bool allowPrivateNetworks = false) =>
        new(Options.Create(new WebhookOptions { RequireHttps = requireHttps, AllowPrivateNetworks = allowPrivateNetworks }), Resolve);

    /// <summary>The table above, plus the system's answer for localhost; any other name is unknown.</summary>
    private static Task<IPAddress[]> Resolve(string host, CancellationToken ct)
    {
        if (Names.TryGetValue(host, out var addresses))
        {
            return Task.FromResult(addresses);
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return Dns.GetHostAddressesAsync(host, ct);
        }

        throw new SocketException((int)SocketError.HostNotFound);
    }
}
