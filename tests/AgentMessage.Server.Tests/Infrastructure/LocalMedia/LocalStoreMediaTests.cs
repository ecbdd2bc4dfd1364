using System.Net;
using System.Text.Json.Nodes;
using AgentMessage.Core.Messaging;
using AgentMessage.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Infrastructure.LocalMedia;

/// <summary>The flows on the embedded default's local store, which also guarantees single use.</summary>
public sealed class LocalStoreMediaTests : MediaFlowTests
{
    protected override IDictionary<string, string> StoreSettings { get; } = new Dictionary<string, string>
    {
        ["AgentMessage:Media:Store"] = "local",
        ["AgentMessage:Media:Local:Directory"] = Path.Combine(Path.GetTempPath(), "agentmessage-media-tests"),
    };

    [Fact]
    public async Task Upload_SecondPutToTheSameUrl_IsRefused()
    {
        await using var server = await StartAsync();
        var (_, slot) = await server.Rest.CallAsync(Slot("image/png", 10));

        var first = await UploadAsync(slot, Png(10));
        var second = await UploadAsync(slot, Png(10));
        var body = JsonNode.Parse(await second.Content.ReadAsStringAsync(Ct))!;

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("MEDIA_ALREADY_UPLOADED", (string)body["error"]!["code"]!);
    }

    [Fact]
    public async Task ServedMedia_TellsBrowsersNotToSniffItsType()
    {
        await using var server = await StartAsync();
        var bytes = Png(64);
        var (_, slot) = await server.Rest.CallAsync(Slot("image/png", bytes.Length));
        await UploadAsync(slot, bytes);
        var (_, sent) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            $$"""{"from":"+15551112222","to":"+15554443333","text":"","media":["{{MediaId(slot)}}"]}"""));
        var stored = await server.Services.GetRequiredService<IMessageStore>().GetAsync(DevSeed.OrganizationId, (string)sent["data"]!["id"]!, Ct);

        using var carrier = new HttpClient();
        var fetched = await carrier.GetAsync(stored!.CarrierMediaUrls![0], Ct);

        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        Assert.Equal("nosniff", string.Join(',', fetched.Headers.GetValues("X-Content-Type-Options")));
    }
}
