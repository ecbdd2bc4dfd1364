using System.Globalization;
using AgentMessage.Server.Infrastructure.Smpp;
using Microsoft.Extensions.DependencyInjection;

namespace AgentMessage.Server.Tests.Support;

/// <summary>One test SMSC (<see cref="SmscServer"/>, node-smpp) shared by the tests of a class; each
/// test resets it first.</summary>
public sealed class SmscFixture : IAsyncLifetime
{
    private SmscServer? server;

    public SmscServer Server => server ?? throw new InvalidOperationException("SmscFixture is not initialized.");

    public async ValueTask InitializeAsync() => server = await SmscServer.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}

/// <summary>Starting servers whose carrier is the test SMSC.</summary>
public static class SmppSupport
{
    /// <summary>The delivery settings with the SMPP link to <paramref name="smsc"/>: fast reconnects
    /// and a short response timeout so failure tests finish quickly.</summary>
    public static Dictionary<string, string> Settings(SmscServer smsc, params (string Key, string Value)[] extra)
    {
        var settings = DeliverySupport.Settings(
            ("AgentMessage:Carrier:Gateway", "smpp"),
            ("AgentMessage:Carrier:Smpp:Host", smsc.Host),
            ("AgentMessage:Carrier:Smpp:Port", smsc.Port.ToString(CultureInfo.InvariantCulture)),
            ("AgentMessage:Carrier:Smpp:SystemId", smsc.SystemId),
            ("AgentMessage:Carrier:Smpp:Password", smsc.Password),
            ("AgentMessage:Carrier:Smpp:ReconnectDelay", "00:00:00.100"),
            ("AgentMessage:Carrier:Smpp:ResponseTimeout", "00:00:02"));
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>A server on the SMSC, once its first bind is up.</summary>
    public static async Task<TestServer> StartBoundAsync(SmscServer smsc, params (string Key, string Value)[] extra)
    {
        var server = await TestServer.StartAsync(Settings(smsc, extra));
        await server.WaitForBindAsync();
        return server;
    }

    public static Task WaitForBindAsync(this TestServer server) =>
        server.Services.GetRequiredService<SmppLink>().FirstBind.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

    /// <summary>Sends <paramref name="text"/> from the development sender to its consenting recipient (or <paramref name="to"/>).</summary>
    public static async Task<string> SendTextAsync(this TestServer server, string text, string to = DeliverySupport.OrdinaryRecipient)
    {
        var (response, body) = await server.Rest.CallAsync(RestRequests.Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            new System.Text.Json.Nodes.JsonObject { ["from"] = Hosting.DevSeed.SenderNumber, ["to"] = to, ["text"] = text }.ToJsonString()));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return (string)body["data"]!["id"]!;
    }
}
