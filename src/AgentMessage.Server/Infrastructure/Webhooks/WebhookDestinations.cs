using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using AgentMessage.Core.Webhooks;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Infrastructure.Webhooks;

/// <summary>
/// The addresses a webhook must never reach unless <see cref="WebhookOptions.AllowPrivateNetworks"/>:
/// everything that is not a public unicast address, so that a URL cannot aim the service at itself,
/// its neighbours or a cloud metadata endpoint.
/// </summary>
public static class WebhookAddresses
{
    private static readonly IPNetwork[] ForbiddenV4 =
    [
        IPNetwork.Parse("0.0.0.0/8"),       // "this network", 0.0.0.0 included
        IPNetwork.Parse("10.0.0.0/8"),      // private (RFC 1918)
        IPNetwork.Parse("100.64.0.0/10"),   // carrier-grade NAT (RFC 6598)
        IPNetwork.Parse("127.0.0.0/8"),     // loopback
        IPNetwork.Parse("169.254.0.0/16"),  // link-local, cloud metadata (169.254.169.254) included
        IPNetwork.Parse("172.16.0.0/12"),   // private (RFC 1918)
        IPNetwork.Parse("192.0.0.0/24"),    // IETF protocol assignments (RFC 6890)
        IPNetwork.Parse("192.0.2.0/24"),    // documentation (TEST-NET-1)
        IPNetwork.Parse("192.88.99.0/24"),  // 6to4 relay anycast (deprecated, RFC 7526)
        IPNetwork.Parse("192.168.0.0/16"),  // private (RFC 1918)
        IPNetwork.Parse("198.18.0.0/15"),   // benchmarking (RFC 2544)
        IPNetwork.Parse("198.51.100.0/24"), // documentation (TEST-NET-2)
        IPNetwork.Parse("203.0.113.0/24"),  // documentation (TEST-NET-3)
        IPNetwork.Parse("224.0.0.0/4"),     // multicast
        IPNetwork.Parse("240.0.0.0/4"),     // reserved, 255.255.255.255 (broadcast) included
    ];

    /// <summary>Inside global unicast 2000::/3 (the only IPv6 space allocated for the public internet;
    /// everything outside it, loopback, unspecified, unique-local, link-local, site-local, multicast and
    /// unassigned space alike, is forbidden), the parts that are not public destinations.</summary>
    private static readonly IPNetwork[] ForbiddenGlobalV6 =
    [
        IPNetwork.Parse("2001::/32"),       // Teredo: the client address inside is obfuscated and not ours to trust
        IPNetwork.Parse("2001:10::/28"),    // ORCHID (deprecated)
        IPNetwork.Parse("2001:20::/28"),    // ORCHIDv2: not routable
        IPNetwork.Parse("2001:db8::/32"),   // documentation
        IPNetwork.Parse("3fff::/20"),       // documentation (RFC 9637)
    ];

    private static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");
    private static readonly IPNetwork IPv4Compatible = IPNetwork.Parse("::/96");
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    /// <summary>
    /// True for loopback, private, unique-local, link-local, CGNAT, unspecified, multicast, broadcast,
    /// reserved, benchmarking and documentation addresses, and for any IPv6 address outside global
    /// unicast 2000::/3. IPv6 forms that carry an IPv4 address (mapped ::ffff:a.b.c.d, compatible
    /// ::a.b.c.d, NAT64 64:ff9b::a.b.c.d) are judged by that IPv4 address; a 6to4 address
    /// (2002:AABB:CCDD::/48) is forbidden when its embedded IPv4 address is.
    /// </summary>
    public static bool IsForbidden(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return Contains(ForbiddenV4, address);
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return true;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return IsForbidden(address.MapToIPv4());
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        if (IPv4Compatible.Contains(address) || Nat64.Contains(address))
        {
            // :: and ::1 land here too, as 0.0.0.0 and 0.0.0.1: "this network", forbidden.
            return IsForbidden(new IPAddress(bytes[12..]));
        }

        if (!GlobalUnicast.Contains(address) || Contains(ForbiddenGlobalV6, address))
        {
            return true;
        }

        return SixToFour.Contains(address) && IsForbidden(new IPAddress(bytes[2..6]));
    }

    private static bool Contains(IPNetwork[] networks, IPAddress address)
    {
        foreach (var network in networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// Where a webhook may go: the check of an endpoint's URL when it is created or changed, and the
/// HTTP handler every delivery goes through, which checks the addresses again at every connection
/// (a name that resolved to a public address at creation may resolve to 127.0.0.1 later).
/// </summary>
public sealed class WebhookDestinationPolicy
{
    /// <summary>The longest URL accepted.</summary>
    public const int MaxUrlLength = 2048;

    private readonly WebhookOptions options;
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> resolve;

    public WebhookDestinationPolicy(IOptions<WebhookOptions> options)
        : this(options, Dns.GetHostAddressesAsync)
    {
    }

    /// <summary>With a resolver of its own, for tests of names whose addresses the test chooses.</summary>
    internal WebhookDestinationPolicy(IOptions<WebhookOptions> options, Func<string, CancellationToken, Task<IPAddress[]>> resolve)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        this.resolve = resolve;
    }

    /// <summary>
    /// Checks <paramref name="url"/> as an endpoint's destination. Null when it is acceptable, else the
    /// problem, worded to follow the field name ("url must not have a fragment"). A literal IP host is
    /// judged directly; a name is resolved and refused when any of its addresses is forbidden (unless
    /// <see cref="WebhookOptions.AllowPrivateNetworks"/>), or when it does not resolve within
    /// <see cref="WebhookOptions.Timeout"/>.
    /// </summary>
    public async ValueTask<string?> CheckAsync(string url, CancellationToken cancellationToken)
    {
        var schemeProblem = options.RequireHttps ? "must be an absolute https URL" : "must be an absolute http or https URL";
        if (string.IsNullOrEmpty(url))
        {
            return schemeProblem;
        }

        if (url.Length > MaxUrlLength)
        {
            return $"must not be longer than {MaxUrlLength} characters";
        }

        if (url.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return "must not contain spaces or control characters";
        }

        // Uri reads a backslash as a slash in http URLs, where other parsers do not: one reading only.
        if (url.Contains('\\'))
        {
            return schemeProblem;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || !(uri.Scheme == Uri.UriSchemeHttps || (!options.RequireHttps && uri.Scheme == Uri.UriSchemeHttp))
            || !url.StartsWith(uri.Scheme + "://", StringComparison.OrdinalIgnoreCase)
            || uri.HostNameType is not (UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6)
            || uri.Host.Length == 0)
        {
            return schemeProblem;
        }

        // Uri ignores an empty user part ("https://@host/"); any '@' before the path is refused.
        var afterScheme = url.AsSpan(uri.Scheme.Length + "://".Length);
        var authorityLength = afterScheme.IndexOfAny('/', '?', '#');
        var authority = authorityLength < 0 ? afterScheme : afterScheme[..authorityLength];
        if (uri.UserInfo.Length > 0 || authority.Contains('@'))
        {
            return "must not contain a user name or password";
        }

        if (url.Contains('#'))
        {
            return "must not have a fragment";
        }

        IPAddress[] addresses;
        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6)
        {
            addresses = [IPAddress.Parse(uri.DnsSafeHost)];
        }
        else
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Timeout);
            try
            {
                addresses = await resolve(uri.IdnHost, timeout.Token);
            }
            catch (SocketException)
            {
                addresses = [];
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                addresses = [];
            }

            if (addresses.Length == 0)
            {
                return "host name does not resolve";
            }
        }

        if (!options.AllowPrivateNetworks && addresses.Any(WebhookAddresses.IsForbidden))
        {
            return "must not resolve to a loopback, private, link-local or unspecified address";
        }

        return null;
    }

    /// <summary>
    /// The handler for webhook deliveries: no redirects followed (a 3xx is the answer), no cookies, no
    /// proxy, the connection timeout of <see cref="WebhookOptions.Timeout"/>, pooled connections renewed
    /// every 2 minutes so that DNS changes are seen, and a connection step that resolves the host itself,
    /// drops forbidden addresses (unless <see cref="WebhookOptions.AllowPrivateNetworks"/>), connects to
    /// the first allowed one that answers, and refuses plain http when
    /// <see cref="WebhookOptions.RequireHttps"/>. A refusal surfaces as an <see cref="HttpRequestException"/>
    /// whose inner exception is a <see cref="WebhookDestinationRefusedException"/>
    /// (<see cref="WebhookDestinationRefusedException.FindIn"/>); the server was never contacted.
    /// </summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = options.Timeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = ConnectAsync,
    };

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        if (options.RequireHttps && context.InitialRequestMessage.RequestUri?.Scheme != Uri.UriSchemeHttps)
        {
            throw new WebhookDestinationRefusedException("plain http is refused: only https destinations are allowed (AgentMessage:Webhooks:RequireHttps)");
        }

        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.AsSpan().Trim("[]"), out var literal)
            ? [literal]
            : await resolve(host, cancellationToken);
        var allowed = options.AllowPrivateNetworks ? addresses : Array.FindAll(addresses, address => !WebhookAddresses.IsForbidden(address));
        if (allowed.Length == 0)
        {
            throw new WebhookDestinationRefusedException(addresses.Length == 0
                ? "the host name does not resolve"
                : "the host resolves only to loopback, private, link-local or unspecified addresses");
        }

        ExceptionDispatchInfo? failure = null;
        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException exception)
            {
                socket.Dispose();
                failure = ExceptionDispatchInfo.Capture(exception);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        failure!.Throw();
        throw new UnreachableException();
    }
}

/// <summary>
/// A delivery stopped before any byte left: the destination resolves only to forbidden addresses, or
/// is plain http where https is required. HttpClient wraps it in an <see cref="HttpRequestException"/>.
/// </summary>
public sealed class WebhookDestinationRefusedException(string message) : IOException(message)
{
    /// <summary>The refusal in <paramref name="exception"/> or its inner exceptions, if any.</summary>
    public static WebhookDestinationRefusedException? FindIn(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is WebhookDestinationRefusedException refusal)
            {
                return refusal;
            }
        }

        return null;
    }
}
