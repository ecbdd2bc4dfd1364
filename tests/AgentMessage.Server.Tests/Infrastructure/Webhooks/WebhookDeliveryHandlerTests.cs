using System.Net;
using System.Net.Sockets;
using System.Text;
using AgentMessage.Core.Webhooks;
using AgentMessage.Server.Infrastructure.Webhooks;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Tests.Infrastructure.Webhooks;

/// <summary>
/// A real HttpClient through <see cref="WebhookDestinationPolicy.CreateHandler"/>: forbidden
/// destinations are refused before any connection (a TcpListener on loopback sees none), allowed
/// ones are reached (the webhook receiver on 127.0.0.1), and a redirect is an answer, not followed.
/// </summary>
public sealed class WebhookDeliveryHandlerTests(WebhookReceiverFixture fixture) : IClassFixture<WebhookReceiverFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private WebhookReceiver Receiver => fixture.Receiver;

    [Fact]
    public void Handler_FollowsNoRedirect_SendsNoCookie_UsesNoProxy_AndRenewsConnections()
    {
        var options = new WebhookOptions { Timeout = TimeSpan.FromSeconds(7) };
        using var handler = new WebhookDestinationPolicy(Options.Create(options)).CreateHandler();

        Assert.False(handler.AllowAutoRedirect);
        Assert.False(handler.UseCookies);
        Assert.False(handler.UseProxy);
        Assert.Equal(TimeSpan.FromSeconds(7), handler.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), handler.PooledConnectionLifetime);
        Assert.NotNull(handler.ConnectCallback);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task Post_ToLoopbackWithTheDefaultOptions_IsRefusedWithoutConnecting(string host)
    {
        using var listener = Listen();
        // RequireHttps stays on: an https URL reaches the address check, which refuses first.
        using var client = Client(new WebhookOptions());

        var error = await Assert.ThrowsAsync<HttpRequestException>(() =>
            client.PostAsync($"https://{host}:{Port(listener)}/hook", new StringContent("{}"), Ct));

        var refusal = WebhookDestinationRefusedException.FindIn(error);
        Assert.NotNull(refusal);
        Assert.Contains("loopback", refusal.Message, StringComparison.Ordinal);
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task Post_ToANameThatNowResolvesToLoopback_IsRefusedAtConnectionTime()
    {
        // The name passed the creation check with a public address; it now answers 127.0.0.1 (rebinding).
        using var listener = Listen();
        var policy = new WebhookDestinationPolicy(
            Options.Create(new WebhookOptions { RequireHttps = false }),
            (_, _) => Task.FromResult(new[] { IPAddress.Loopback, IPAddress.Parse("10.0.0.1") }));
        using var client = new HttpClient(policy.CreateHandler());

        var error = await Assert.ThrowsAsync<HttpRequestException>(() =>
            client.PostAsync($"http://rebind.example.com:{Port(listener)}/hook", new StringContent("{}"), Ct));

        Assert.NotNull(WebhookDestinationRefusedException.FindIn(error));
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task Post_OverHttpWhileHttpsIsRequired_IsRefusedWithoutConnecting_EvenToAnAllowedNetwork()
    {
        using var listener = Listen();
        using var client = Client(new WebhookOptions { RequireHttps = true, AllowPrivateNetworks = true });

        var error = await Assert.ThrowsAsync<HttpRequestException>(() =>
            client.PostAsync($"http://127.0.0.1:{Port(listener)}/hook", new StringContent("{}"), Ct));

        var refusal = WebhookDestinationRefusedException.FindIn(error);
        Assert.NotNull(refusal);
        Assert.Contains("https", refusal.Message, StringComparison.Ordinal);
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task Post_ToLoopbackWithAllowPrivateNetworks_IsDelivered()
    {
        const string name = "handler-allowed";
        await Receiver.ConfigureAsync(name, [], [ReceiverAnswer.Of(200)], ct: Ct);
        using var client = Client(new WebhookOptions { RequireHttps = false, AllowPrivateNetworks = true });

        using var response = await client.PostAsync(Receiver.UrlFor(name), new StringContent("""{"type":"message.delivered"}""", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(await Receiver.ReceivedAsync(name, Ct));
        Assert.Equal("message.delivered", received.Json.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Post_AnsweredWithARedirect_ReturnsTheRedirect_WithoutFollowingIt()
    {
        const string name = "handler-redirect";
        const string target = "handler-redirect-target";
        await Receiver.ConfigureAsync(name, [], [ReceiverAnswer.Redirect(302, Receiver.UrlFor(target).ToString())], ct: Ct);
        await Receiver.ConfigureAsync(target, [], ct: Ct);
        using var client = Client(new WebhookOptions { RequireHttps = false, AllowPrivateNetworks = true });

        using var response = await client.PostAsync(Receiver.UrlFor(name), new StringContent("{}"), Ct);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(Receiver.UrlFor(target), response.Headers.Location);
        Assert.Single(await Receiver.ReceivedAsync(name, Ct));
        Assert.Empty(await Receiver.ReceivedAsync(target, Ct));
    }

    [Fact]
    public async Task Post_ToANameWhoseFirstAddressRefuses_ConnectsToTheNextOne()
    {
        const string name = "handler-fallback";
        await Receiver.ConfigureAsync(name, [], [ReceiverAnswer.Of(202)], ct: Ct);
        // Nothing listens on the receiver's port at 127.0.0.2 (the receiver is bound to 127.0.0.1 only).
        var policy = new WebhookDestinationPolicy(
            Options.Create(new WebhookOptions { RequireHttps = false, AllowPrivateNetworks = true }),
            (_, _) => Task.FromResult(new[] { IPAddress.Parse("127.0.0.2"), IPAddress.Loopback }));
        using var client = new HttpClient(policy.CreateHandler());

        using var response = await client.PostAsync($"http://two-addresses.example.com:{Receiver.Port}/hooks/{name}", new StringContent("{}"), Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"two-addresses.example.com:{Receiver.Port}", Assert.Single(await Receiver.ReceivedAsync(name, Ct)).Headers["host"]);
    }

    private static HttpClient Client(WebhookOptions options) => new(new WebhookDestinationPolicy(Options.Create(options)).CreateHandler());

    private static TcpListener Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    private static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;
}
